// external-tls.js: keep in conn.log only TLS connections to the Internet
// whose server name (SNI) matches a glob; drop every other flow.
//
//   flowlog -r trace.pcap --local-nets 10.0.0.0/8,192.168.0.0/16 \
//           --policy scripts/examples/external-tls.js   (flag name: see README.md)
//
// The decision is taken when the connection closes: the SNI comes from the
// TLS ClientHello, after the first packet, so at "opened" it is usually not
// known yet. A flow dropped at any event never reaches conn.log.

// Server names to keep. Host globs: "*" spans dots, so "*.github.com"
// matches "api.github.com" and "a.b.github.com" but not "github.com" itself.
var KEEP_SNI = ["github.com", "*.github.com", "*.githubusercontent.com", "*.example.com"];

// Networks that are not "external" (the remote side of the flow is
// compared: with --local-nets, remote is the endpoint outside them).
var INTERNAL = flowlog.patterns([
  "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
  "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1",
]);

flowlog.on("closed", function (flow) {
  var external = !INTERNAL.match(flow);
  // flowlog.matchHost tests the SNI alone. flowlog.match(KEEP_SNI, flow)
  // would also accept a reverse-DNS name that matches.
  var tls = flow.proto === "tcp" && flow.sni !== null;
  if (external && tls && flowlog.matchHost(KEEP_SNI, flow.sni)) {
    flow.tag("external-tls");
    return;
  }
  flow.drop();
});
