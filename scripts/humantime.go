package scripts

import (
	"fmt"
	"strings"
	"time"
)

// ParseHumanDuration parses a duration the way Sysinspect's humantime does:
// one or more "<number><unit>" parts, optionally separated by spaces, such
// as "90s", "5m", "1h30m", "1h 30m", "250ms", "2 days". Units: ns/nsec,
// us/usec/µs, ms/msec, s/sec/secs/second/seconds, m/min/mins/minute/minutes,
// h/hr/hrs/hour/hours, d/day/days, w/week/weeks. A bare number is seconds.
// Negative durations are an error.
func ParseHumanDuration(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if isDigits(s) {
		s += "s"
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad duration %q (want e.g. 90s, 5m, 1h30m)", in)
		}
		if i > 12 {
			return 0, fmt.Errorf("duration %q out of range", in)
		}
		var n int64
		for _, c := range s[:i] {
			n = n*10 + int64(c-'0')
		}
		s = strings.TrimLeft(s[i:], " ")
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != ' ' {
			j++
		}
		unit, ok := durationUnits[s[:j]]
		if !ok {
			return 0, fmt.Errorf("bad duration %q: unknown unit %q", in, s[:j])
		}
		d := time.Duration(n) * unit
		if n != 0 && (d/unit != time.Duration(n) || total+d < total) {
			return 0, fmt.Errorf("duration %q out of range", in)
		}
		total += d
		s = strings.TrimLeft(s[j:], " ")
	}
	return total, nil
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "nsec": time.Nanosecond,
	"us": time.Microsecond, "usec": time.Microsecond, "µs": time.Microsecond,
	"ms": time.Millisecond, "msec": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
