// new-remote-ports.js: alert when a local host talks to a remote port it
// has not used before (Velociraptor's Windows.Detection.NetworkConnections
// / new-connection alert, on packets instead of the socket table).
//
// The alert is a flowlog event named "new_remote_port"; its payload carries
// the Velociraptor webhook text, so the events sink can POST it unchanged:
//   {"text": "client <host> has process <name> communicate to remote ip <ip> on remote port <port>", ...}
// A packet sensor knows no processes: the process name is "unknown".

// Filters, Velociraptor style (JavaScript regular expressions,
// case-insensitive, unanchored; an empty one matches everything).
var CLIENT_RE = /./;           // local host name or IP
var REMOTE_IP_RE = /./;        // remote IP
var REMOTE_PORT_RE = /./;      // remote port

// Learning period in seconds of packet time: ports seen during it are
// remembered without alerting.
var LEARN_SECONDS = 3600;

// How long a (host, port) pair stays known, in seconds of packet time. The
// set lives in flowlog's lock table, shared by every worker, so a pair
// alerts once for the whole process, not once per worker. Expired entries
// alert again. 0 = forever (call LockTable.Expire to bound memory).
var REMEMBER_SECONDS = 7 * 24 * 3600;

// Flows never considered.
var IGNORE = flowlog.patterns(["udp * *:53", "udp * *:123", "udp * *:5353", "icmp * *", "* * [ff00::/8]", "* * 224.0.0.0/4"]);

var firstTS = 0;

function re(r, s) { return r.test(String(s === null ? "" : s)); }

flowlog.on("opened", function (flow) {
  if (firstTS === 0) firstTS = flow.ts;
  if (flowlog.match(IGNORE, flow)) return;

  var client = flow.local_host || flow.local_h;
  if (!re(CLIENT_RE, client) || !re(REMOTE_IP_RE, flow.remote_h) || !re(REMOTE_PORT_RE, flow.remote_p)) return;

  // flowlog.lock returns true only the first time (until the TTL ends).
  var key = "remote-port|" + flow.local_h + "|" + flow.proto + "/" + flow.remote_p;
  if (!flowlog.lock(key, REMEMBER_SECONDS)) return;
  if (flow.ts - firstTS < LEARN_SECONDS) return; // learning: remember, do not alert

  flow.tag("new-remote-port");
  flowlog.event("new_remote_port", {
    text: "client " + client + " has process unknown communicate to remote ip " +
      flow.remote_h + " on remote port " + flow.remote_p,
    client: client,
    local: flow.local,
    remote: flow.remote,
    remote_host: flow.remote_host,
    proto: flow.proto,
    uid: flow.uid,
  }, key);
});
