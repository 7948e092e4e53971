// Package events carries the alerts that policy scripts and sensors raise to
// their sinks: JSON lines (events.log, stdout, a unix socket) and webhooks.
//
// # Usage
//
//	sink := events.Multi{events.NewLines(f), hook}
//	sink.Send(&events.Event{ID: id, TS: ts, UID: uid, Data: payload})
//	...
//	sink.Close() // on SIGTERM: drains, and keeps undelivered events on disk
//
// A Webhook filters events with Velociraptor's four regular expressions
// (client, process name, remote IP, remote port), writes each accepted
// event's body to an on-disk spool first and delivers from the spool in
// order with exponential backoff. While the receiver is down events wait in
// the spool (bounded; the oldest are dropped with a counted warning), and a
// restart on the same spool directory resumes where delivery stopped.
//
// # Concurrency
//
// Lines, Multi and Webhook are safe for concurrent use. Send never blocks on
// the network; a Webhook runs one delivery goroutine.
package events
