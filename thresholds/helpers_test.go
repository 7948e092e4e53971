package thresholds

import "github.com/flowlog/flowlog/internal/flowtest"

// Test packet builders, shared with the other conn framework packages.
var (
	sec      = flowtest.Sec
	endpoint = flowtest.Endpoint
	tcp      = flowtest.TCP
	udp      = flowtest.UDP
	session  = flowtest.Session
)
