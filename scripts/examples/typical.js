// typical.js: the "typical policy" the benchmarks time: an opened and a
// closed handler, three host globs and two CIDRs, compiled once.
var WATCH = flowlog.patterns(["*.example.com", "*.github.com", "*.cdn.net"]);
var NETS = flowlog.patterns(["10.0.0.0/8", "192.168.0.0/16"]);
var opened = 0;

flowlog.on("opened", function (flow) {
  opened++;
  if (NETS.match(flow)) {
    flow.tag("internal");
  }
});

flowlog.on("closed", function (flow) {
  if (WATCH.match(flow)) {
    flowlog.event("watched-host", {sni: flow.sni});
  }
});
