// beaconing.js: flag long-lived connections that talk at a steady, small
// rate (command-and-control "heartbeats"), using conn-framework polling.
//
// How it works: every new external TCP/UDP flow asks to be polled
// (flow.watch). At each poll the handler records how many packets and
// bytes the flow moved since the previous poll. After MIN_SAMPLES polls,
// if the flow was active in almost every interval and the per-interval
// volume is small and regular (low coefficient of variation), it raises a
// "beacon" event and stops polling that flow.
//
// The watch API this expects from flowlog (Zeek's conn/polling.zeek):
//
//   flow.watch(interval, count)
//       Records Request{Kind: RequestWatch, Interval, Count}. flowlog then
//       delivers a "poll" event for the flow after `interval` seconds of
//       packet time, at most `count` times, with flow.poll_count = the
//       number of polls left (Zeek's cnt).
//   flowlog.on("poll", fn)
//       fn's return value is the next interval in seconds (a negative
//       number stops polling; undefined keeps the current interval). It
//       becomes Request{Kind: RequestPollNext}.
//   Polling stops silently when the connection is removed; the flow then
//   gets its "closed" event as usual.
//
// JavaScript state (the samples below) lives in the worker's Runtime: the
// poll events of one flow must reach the Runtime that saw it opened, which
// holds when flowlog shards workers by flow.

var INTERVAL = 60;        // seconds between polls
var MAX_POLLS = 240;      // 4 hours of polling at most
var MIN_SAMPLES = 10;     // polls before judging
var MAX_BYTES = 4096;     // mean bytes per interval at most ("small")
var MAX_CV = 0.25;        // stddev/mean of bytes per interval at most ("regular")
var MIN_ACTIVE = 0.9;     // fraction of intervals with traffic

var INTERNAL = flowlog.patterns(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"]);
var state = {};           // uid -> {bytes, pkts, samples: []}

flowlog.on("opened", function (flow) {
  if (flow.proto !== "tcp" && flow.proto !== "udp") return;
  if (INTERNAL.match(flow)) return;
  state[flow.uid] = {bytes: 0, pkts: 0, samples: []};
  flow.watch(INTERVAL, MAX_POLLS);
});

flowlog.on("poll", function (flow) {
  var s = state[flow.uid];
  if (!s) return -1;
  var bytes = flow.orig_ip_bytes + flow.resp_ip_bytes;
  var pkts = flow.orig_pkts + flow.resp_pkts;
  s.samples.push({bytes: bytes - s.bytes, pkts: pkts - s.pkts});
  s.bytes = bytes;
  s.pkts = pkts;
  if (s.samples.length > MIN_SAMPLES * 3) s.samples.shift();
  if (s.samples.length < MIN_SAMPLES) return INTERVAL;

  var active = 0, sum = 0;
  s.samples.forEach(function (x) { if (x.pkts > 0) active++; sum += x.bytes; });
  var mean = sum / s.samples.length;
  var sq = 0;
  s.samples.forEach(function (x) { sq += (x.bytes - mean) * (x.bytes - mean); });
  var cv = mean > 0 ? Math.sqrt(sq / s.samples.length) / mean : Infinity;

  if (active / s.samples.length >= MIN_ACTIVE && mean <= MAX_BYTES && cv <= MAX_CV) {
    flow.tag("beacon");
    flowlog.event("beacon", {
      uid: flow.uid, local: flow.local, remote: flow.remote,
      remote_host: flow.remote_host, sni: flow.sni,
      interval: INTERVAL, samples: s.samples.length,
      mean_bytes: Math.round(mean), cv: Math.round(cv * 1000) / 1000,
    }, "beacon|" + flow.local_h + "|" + flow.remote);
    delete state[flow.uid];
    return -1; // stop polling this flow
  }
  return flow.poll_count > 1 ? INTERVAL : -1;
});

flowlog.on("closed", function (flow) {
  delete state[flow.uid];
});
