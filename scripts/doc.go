// Package scripts decides which opened and closed flows flowlog logs and
// alerts on. It has three parts that share one pattern matcher:
//
//   - JavaScript policies (github.com/dop251/goja): Compile, Program,
//     Runtime, Policy. Handlers registered with flowlog.on see each flow
//     event and may drop the flow from conn.log, tag it, raise events, and
//     record conn-framework requests (thresholds, polling, contents
//     extraction, removal hooks) that the caller applies.
//   - Sysinspect net.packet sensor files (YAML): LoadSensorFiles,
//     SensorSet.Evaluate. Each matching sensor emits an Event with
//     Sysinspect's event id and payload.
//   - Patterns: ParsePattern, CompilePatterns, PatternSet. Host globs, IP
//     and IP:port globs, CIDR and CIDR:port, and the "<proto> <local>
//     <remote>" DSL, compiled once; matching does not allocate.
//
// The package does no I/O besides reading the files it is given, starts no
// goroutines (a timer's callback only interrupts JavaScript), never reads
// the wall clock for semantics (lock TTLs and Date.now() in scripts use the
// flow's packet time), and keeps no package-level mutable state.
//
// # Usage
//
// The caller (the flow table's consumer) builds a Flow snapshot per event
// and asks the sensors and the policy:
//
//	locks := scripts.NewLockTable() // shared: an event id fires once per process
//	sensors, err := scripts.LoadSensorFiles(scripts.SensorOptions{Locks: locks}, sensorFiles...)
//	policy, err := scripts.NewPolicy(policyFiles) // compiles once; Reload on SIGHUP
//	for each worker goroutine {
//		rt, err := scripts.NewRuntime(nil, scripts.Options{Policy: policy, Locks: locks})
//		defer rt.Close()
//		for ev := range events {
//			f := snapshot(ev) // scripts.Flow: values only
//			alerts = sensors.Evaluate(&f, alerts[:0])
//			if !rt.Program().Handles(f.Event) {
//				continue
//			}
//			v, err := rt.Call(&f)
//			if err != nil {
//				count and log err (a *ScriptError: file:line:col, uid);
//				v is the zero Verdict: log the flow as if no script ran
//			}
//			if v.Drop { exclude the flow from conn.log }
//			remember v.Tags on the flow; send v.Events; apply v.Requests
//		}
//	}
//	on SIGHUP: if err := policy.Reload(nil); err != nil { keep running the old program, report err }
//
// Sensors handle only "opened" and "closed". The policy also gets
// "threshold", "poll" and "removal" events when it asked for them through
// requests; see Request for what each request means to the flow table
// (they map onto Zeek's base/protocols/conn thresholds.zeek, polling.zeek,
// contents.zeek and removal-hooks.zeek).
//
// # Concurrency and ownership
//
// A Program is immutable and shared by any number of goroutines. A Runtime
// owns one goja runtime and is not safe for concurrent use: one per worker
// goroutine. JavaScript state kept in script variables is per Runtime, so
// flows that a script correlates (for example the polls of one flow) must
// reach the same Runtime; shard workers by flow. Policy, LockTable,
// PatternSet and SensorSet are safe for concurrent use.
//
// Call does not keep the *Flow (nor its Tags slice): JavaScript gets a
// private copy, and a script may keep a flow object in a variable as a
// read-only snapshot, whose methods stop working when its handler returns.
// The caller owns every slice of the returned Verdict and every Event.
// Packet buffers never reach this package.
//
// # Patterns
//
// ParsePattern documents the classification rules. Matching follows
// SEMANTICS.md 000: any ignore pattern that matches excludes the flow; then
// every class present in the watch list must match (AND across the host,
// address and DSL classes, OR within a class). Host globs match the remote
// reverse-DNS name or the SNI, case-insensitively; address patterns match
// the remote endpoint; the DSL matches protocol, local and remote endpoint.
// Local and remote come from Flow.Local/Remote (--local-nets); when they are
// unset the originator is local.
//
// # Failures and limits
//
// Each Call runs under Options.Timeout (default 50 ms): a reusable
// time.AfterFunc timer calls Runtime.Interrupt, and the Runtime clears the
// interrupt under a mutex once the call is over, so a late timer can never
// interrupt a later call. The budget is wall-clock time; when the timer
// itself fires late (the process was not running: CPU throttling, a paused
// VM), the lateness is given back to the handler, up to three budgets in
// total, so a starved machine does not fail microsecond handlers. A
// timeout's position is the instruction that was running, inside the loop
// (goja maps a few instructions of a loop over a global variable to the
// variable's declaration). A handler that throws, times out, exceeds the
// call-stack limit, or causes a Go panic makes Call return a *ScriptError
// naming the script file:line:column and the flow uid; the call's drop,
// tags, events, requests and lock operations are discarded, so the flow is
// treated as if no script ran. Errors are counted (Runtime.Stats). After a
// Go panic the Runtime rebuilds its JavaScript state from the Program.
//
// goja has no memory limit, and Interrupt only stops JavaScript, not a
// built-in running in Go. So the built-ins that can allocate or loop
// without bound in one native step are guarded (a RangeError beyond
// Options.MaxStringLen or MaxArrayLen): String.prototype.repeat, padStart,
// padEnd, replace and replaceAll; the Array.prototype methods that walk
// the array; Array.from; Function.prototype.apply and Reflect.apply. The
// binary-data constructors (ArrayBuffer, the typed arrays, DataView) are
// removed: policies see snapshot values, never bytes. This stops mistakes,
// not an adversary: a script can still allocate for the length of its
// timeout, or with constructs such as spreading a huge sparse array. A
// policy is trusted code, like a Zeek script.
//
// # Where flowlog departs from Sysinspect
//
// Sysinspect's net.packet code classifies a pattern as a host glob when it
// has a letter or both '*' and '.', so IP globs such as "1.2.3.*", bracketed
// IPv6 and the DSL ("udp * *" has letters) were treated as host names, and
// IP:port patterns were matched against the bare IP, so ports never matched.
// A host glob only fell back to the SNI when there was no PTR name. flowlog
// implements the documented behaviour instead (SEMANTICS.md: "flowlog makes
// all documented forms work"), adds CIDR and CIDR:port, matches a host glob
// against the PTR name or the SNI, replaces the fixed 5 s lock with "until
// unlocked" plus an optional args.lock-ttl in packet time, and adds sni, uid,
// ts and the conn record to the event payload (the /proc-specific
// local_raw/remote_raw are not produced). The payload's state is Zeek's
// conn_state, not a socket state. interval is accepted and validated but has
// no effect: flowlog is driven by packets, not by polling a socket table.
package scripts
