package rdns

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a human-friendly duration, as Rust's humantime
// does: a sequence of numbers with units, spaces allowed between them,
// e.g. "90s", "5m", "1h 30m", "2days", "500ms", "1w". Units: ns, us/µs,
// ms, s/sec/secs/second/seconds, m/min/mins/minute/minutes,
// h/hr/hrs/hour/hours, d/day/days, w/week/weeks. A bare number means
// seconds ("60" is 60s). Negative values and overflow are errors.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, errors.New("duration " + strconv.Quote(orig) + ": expected a number at " + strconv.Quote(s))
		}
		num := s[:i]
		s = strings.TrimLeft(s[i:], " ")
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9') && s[j] != ' ' {
			j++
		}
		unit := s[:j]
		s = strings.TrimLeft(s[j:], " ")
		var u time.Duration
		switch unit {
		case "ns", "nsec":
			u = time.Nanosecond
		case "us", "µs", "usec":
			u = time.Microsecond
		case "ms", "msec", "millis":
			u = time.Millisecond
		case "s", "sec", "secs", "second", "seconds":
			u = time.Second
		case "m", "min", "mins", "minute", "minutes":
			u = time.Minute
		case "h", "hr", "hrs", "hour", "hours":
			u = time.Hour
		case "d", "day", "days":
			u = 24 * time.Hour
		case "w", "week", "weeks":
			u = 7 * 24 * time.Hour
		case "":
			return 0, errors.New("duration " + strconv.Quote(orig) + ": missing unit after " + num)
		default:
			return 0, errors.New("duration " + strconv.Quote(orig) + ": unknown unit " + strconv.Quote(unit))
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, errors.New("duration " + strconv.Quote(orig) + ": bad number " + strconv.Quote(num))
		}
		d := v * float64(u)
		if d > math.MaxInt64 || float64(total)+d > math.MaxInt64 {
			return 0, errors.New("duration " + strconv.Quote(orig) + ": too large")
		}
		total += time.Duration(d)
	}
	return total, nil
}
