package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Listener is the only sensor listener flowlog implements.
const Listener = "net.packet"

// DefaultDNSTTL is the reverse-DNS cache TTL when a sensor sets no dns-ttl.
const DefaultDNSTTL = 60 * time.Second

// maxSensorFile bounds the size of a sensor file.
const maxSensorFile = 16 << 20

// ConfigError is an error in a sensor file, with its position.
type ConfigError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *ConfigError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Sensor is one net.packet sensor of a sensor file. It is immutable after
// loading.
type Sensor struct {
	ID          string
	Description string
	// Profiles are the sensor's profiles in lower case (["default"] when
	// the file gives none). Active says whether one of them is among
	// SensorOptions.Profiles; inactive sensors never fire.
	Profiles []string
	Active   bool
	// Opened and Closed are the opts (both when opts is empty).
	Opened, Closed bool
	// Patterns holds args.patterns and args.ignore.
	Patterns *PatternSet
	// DNS is args.dns; DNSTTL args.dns-ttl (DefaultDNSTTL if unset).
	DNS    bool
	DNSTTL time.Duration
	// SNIInterface is args.sni-interface (or sni_interface): where SNI is
	// sniffed in live mode; "" means all UP non-loopback interfaces.
	SNIInterface string
	// Locked is args.locked; LockTTL is args.lock-ttl (0: until unlocked).
	Locked  bool
	LockTTL time.Duration
	// Tag is the event tag ("" for none).
	Tag string
	// Interval is the sensor's interval. flowlog is driven by packets, not
	// by polling the socket table, so it is validated and kept but has no
	// effect.
	Interval time.Duration
	// File and Line locate the sensor's id in its file.
	File string
	Line int

	listener string // "net.packet" or "net.packet@tag"
	source   string // "file:line"
}

// NeedsDNS reports whether this sensor wants reverse-DNS names: args.dns is
// true, or (automatic) a watch or ignore pattern is a host glob.
func (s *Sensor) NeedsDNS() bool { return s.DNS || s.Patterns.HasHostGlob() }

// ListenerID returns "net.packet" or "net.packet@<tag>".
func (s *Sensor) ListenerID() string { return s.listener }

// EventID returns the event id for action ("opened"/"closed") on a flow
// whose remote endpoint is remote:
// "<sensor-id>|net.packet[@tag]|<action>@<remote-ip:port>|0".
func (s *Sensor) EventID(action string, remote netip.AddrPort) string {
	b := make([]byte, 0, len(s.ID)+len(s.listener)+len(action)+56)
	b = append(b, s.ID...)
	b = append(b, '|')
	b = append(b, s.listener...)
	b = append(b, '|')
	b = append(b, action...)
	b = append(b, '@')
	b = appendAddrPort(b, cleanAddrPort(remote))
	b = append(b, "|0"...)
	return string(b)
}

// SensorOptions configure loading.
type SensorOptions struct {
	// Profiles are the active profiles (case-insensitive). Nil means
	// ["default"], as a Sysinspect minion with no profile.
	Profiles []string
	// Locks is the lock table for locked sensors; share it with the
	// Runtimes (Options.Locks) so scripts can unlock sensor events. Nil
	// means a private table.
	Locks *LockTable
	// SkipOtherListeners skips sensors whose listener is not net.packet
	// with a warning, instead of failing (for files shared with Sysinspect).
	SkipOtherListeners bool
}

// SensorSet is the sensors of one or more sensor files. It is immutable
// after loading and safe for concurrent use (locks go through the
// LockTable, which is).
type SensorSet struct {
	// Sensors in file order.
	Sensors []*Sensor
	// Warnings about unknown opts values and skipped sensors, each
	// "file:line: message".
	Warnings []string
	locks    *LockTable
}

// Locks returns the set's lock table.
func (s *SensorSet) Locks() *LockTable { return s.locks }

// NeedsDNS reports whether any active sensor wants reverse-DNS names.
func (s *SensorSet) NeedsDNS() bool {
	for _, sn := range s.Sensors {
		if sn.Active && sn.NeedsDNS() {
			return true
		}
	}
	return false
}

// DNSTTL returns the smallest dns-ttl among active sensors that want DNS
// (DefaultDNSTTL if none does).
func (s *SensorSet) DNSTTL() time.Duration {
	ttl := time.Duration(0)
	for _, sn := range s.Sensors {
		if sn.Active && sn.NeedsDNS() && (ttl == 0 || sn.DNSTTL < ttl) {
			ttl = sn.DNSTTL
		}
	}
	if ttl == 0 {
		return DefaultDNSTTL
	}
	return ttl
}

// LoadSensorFiles reads and parses sensor files. Sensor ids must be unique
// across all files.
func LoadSensorFiles(opts SensorOptions, files ...string) (*SensorSet, error) {
	set := newSensorSet(opts)
	seen := map[string]*Sensor{}
	for _, name := range files {
		data, err := readLimited(name)
		if err != nil {
			return nil, fmt.Errorf("flowlog/scripts: %w", err)
		}
		if err := set.parse(name, data, opts, seen); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// ParseSensors parses one sensor file's contents; name is used in errors.
func ParseSensors(name string, data []byte, opts SensorOptions) (*SensorSet, error) {
	set := newSensorSet(opts)
	if err := set.parse(name, data, opts, map[string]*Sensor{}); err != nil {
		return nil, err
	}
	return set, nil
}

func newSensorSet(opts SensorOptions) *SensorSet {
	set := &SensorSet{locks: opts.Locks}
	if set.locks == nil {
		set.locks = NewLockTable()
	}
	return set
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSensorFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxSensorFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxSensorFile)
	}
	return data, nil
}

// loader walks one file's YAML nodes.
type loader struct {
	file   string
	opts   SensorOptions
	set    *SensorSet
	budget int // node visits left (guards against alias/merge blow-up)
	// open holds the mappings being expanded (merge-key cycle detection).
	open map[*yaml.Node]bool
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (set *SensorSet) parse(name string, data []byte, opts SensorOptions, seen map[string]*Sensor) error {
	if len(data) > maxSensorFile {
		return &ConfigError{File: name, Msg: fmt.Sprintf("larger than %d bytes", maxSensorFile)}
	}
	l := &loader{file: name, opts: opts, set: set, budget: 1 << 20}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &ConfigError{File: name, Msg: "no sensors (empty file)"}
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &ConfigError{File: name, Line: line, Msg: m[2]}
		}
		return &ConfigError{File: name, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	var extra yaml.Node
	if err := safeDecode(dec, &extra); err == nil {
		return l.errAt(&extra, "more than one YAML document")
	} else if !errors.Is(err, io.EOF) {
		return &ConfigError{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return &ConfigError{File: name, Msg: "no sensors (empty file)"}
		}
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return l.errAt(root, "no sensors (empty file)")
	}
	pairs, err := l.pairs(root, "top level")
	if err != nil {
		return err
	}
	// The file is either `sensors: {<id>: ...}` (Sysinspect's own files) or
	// the sensors map itself (the synopsis in the net.packet docs).
	var wrapper *kv
	for i := range pairs {
		if pairs[i].key == "sensors" {
			wrapper = &pairs[i]
		}
	}
	if wrapper != nil {
		for _, o := range pairs {
			if o.key != "sensors" {
				return l.errAt(o.k, fmt.Sprintf("unknown top-level key %q next to \"sensors\"", o.key))
			}
		}
		body := resolve(wrapper.v)
		if isNull(body) {
			return l.errAt(wrapper.v, "no sensors under \"sensors\"")
		}
		if pairs, err = l.pairs(body, "sensors"); err != nil {
			return err
		}
	}
	var defInterval time.Duration
	var sensors []*Sensor
	skipped := 0
	for _, kv := range pairs {
		if kv.key == "interval" { // Sysinspect's default interval range
			d, err := l.intervalRange(kv.v)
			if err != nil {
				return err
			}
			defInterval = d
			continue
		}
		sn, skip, err := l.sensor(kv)
		if err != nil {
			return err
		}
		if skip {
			skipped++
			continue
		}
		if prev, dup := seen[sn.ID]; dup {
			return l.errAt(kv.k, fmt.Sprintf("duplicate sensor id %q (first at %s:%d)", sn.ID, prev.File, prev.Line))
		}
		seen[sn.ID] = sn
		sensors = append(sensors, sn)
	}
	for _, sn := range sensors {
		if sn.Interval == 0 {
			sn.Interval = defInterval
		}
	}
	if len(sensors) == 0 && skipped == 0 {
		return &ConfigError{File: name, Line: root.Line, Msg: "no sensors"}
	}
	set.Sensors = append(set.Sensors, sensors...)
	return nil
}

// safeDecode turns a panic inside the YAML parser into an error.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", x)
		}
	}()
	return dec.Decode(n)
}

type kv struct {
	key  string
	k, v *yaml.Node
}

func (l *loader) errAt(n *yaml.Node, msg string) error {
	if n == nil {
		return &ConfigError{File: l.file, Msg: msg}
	}
	return &ConfigError{File: l.file, Line: n.Line, Column: n.Column, Msg: msg}
}

func (l *loader) warn(n *yaml.Node, msg string) {
	l.set.Warnings = append(l.set.Warnings, fmt.Sprintf("%s:%d: %s", l.file, n.Line, msg))
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// pairs returns a mapping's key/value pairs with aliases resolved and
// merge keys ("<<") expanded; explicit keys override merged ones, and a key
// given twice is an error.
func (l *loader) pairs(n *yaml.Node, what string) ([]kv, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, l.errAt(n, fmt.Sprintf("%s: want a mapping, got %s", what, describe(n)))
	}
	if l.open[n] {
		return nil, l.errAt(n, fmt.Sprintf("%s: merge key refers to its own mapping", what))
	}
	if len(l.open) >= 32 {
		return nil, l.errAt(n, fmt.Sprintf("%s: merge keys nested too deep", what))
	}
	if l.open == nil {
		l.open = map[*yaml.Node]bool{}
	}
	l.open[n] = true
	defer delete(l.open, n)
	var out []kv
	index := map[string]int{}
	var merged []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		if l.budget--; l.budget < 0 {
			return nil, l.errAt(n, "document too complex (aliases/merges)")
		}
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, l.errAt(k, fmt.Sprintf("%s: keys must be strings, got %s", what, describe(k)))
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			m, err := l.merge(k, v, what)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		if j, dup := index[k.Value]; dup {
			return nil, l.errAt(k, fmt.Sprintf("%s: key %q given twice (first at line %d)", what, k.Value, out[j].k.Line))
		}
		index[k.Value] = len(out)
		out = append(out, kv{key: k.Value, k: k, v: v})
	}
	for _, m := range merged {
		if _, ok := index[m.key]; !ok {
			index[m.key] = len(out)
			out = append(out, m)
		}
	}
	return out, nil
}

func (l *loader) merge(k, v *yaml.Node, what string) ([]kv, error) {
	v = resolve(v)
	if l.open[v] {
		return nil, l.errAt(k, fmt.Sprintf("%s: merge key refers to its own mapping", what))
	}
	if v.Kind == yaml.SequenceNode {
		var out []kv
		for _, e := range v.Content {
			if l.open[resolve(e)] {
				return nil, l.errAt(k, fmt.Sprintf("%s: merge key refers to its own mapping", what))
			}
			m, err := l.pairs(e, what+" (merge)")
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		}
		return out, nil
	}
	return l.pairs(v, what+" (merge)")
}

func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an alias"
}

func (l *loader) scalar(n *yaml.Node, what string) (string, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", l.errAt(n, fmt.Sprintf("%s: want a string, got %s", what, describe(n)))
	}
	return n.Value, nil
}

func (l *loader) boolean(n *yaml.Node, what string) (bool, error) {
	s, err := l.scalar(n, what)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, l.errAt(resolve(n), fmt.Sprintf("%s: want true or false, got %q", what, s))
}

func (l *loader) duration(n *yaml.Node, what string) (time.Duration, error) {
	s, err := l.scalar(n, what)
	if err != nil {
		return 0, err
	}
	d, err := ParseHumanDuration(s)
	if err != nil {
		return 0, l.errAt(resolve(n), fmt.Sprintf("%s: %s", what, err))
	}
	return d, nil
}

// list reads a list of strings (a single string counts as a list of one);
// entries are trimmed and empty or null ones dropped. It returns the
// entries and their nodes.
func (l *loader) list(n *yaml.Node, what string) ([]string, []*yaml.Node, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil, nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var vals []string
	var nodes []*yaml.Node
	for i, e := range items {
		if l.budget--; l.budget < 0 {
			return nil, nil, l.errAt(n, "document too complex (aliases/merges)")
		}
		e = resolve(e)
		if isNull(e) {
			continue
		}
		if e.Kind != yaml.ScalarNode {
			return nil, nil, l.errAt(e, fmt.Sprintf("%s[%d]: want a string, got %s", what, i, describe(e)))
		}
		s := strings.TrimSpace(e.Value)
		if s == "" {
			continue
		}
		vals = append(vals, s)
		nodes = append(nodes, e)
	}
	return vals, nodes, nil
}

func validID(s string) bool {
	return s != "" && !strings.ContainsAny(s, "|@ \t\r\n")
}

func (l *loader) sensor(p kv) (*Sensor, bool, error) {
	id := strings.TrimSpace(p.key)
	if !validID(id) {
		return nil, false, l.errAt(p.k, fmt.Sprintf("bad sensor id %q (no spaces, '|' or '@')", p.key))
	}
	what := fmt.Sprintf("sensor %q", id)
	fields, err := l.pairs(p.v, what)
	if err != nil {
		return nil, false, err
	}
	sn := &Sensor{ID: id, File: l.file, Line: p.k.Line, DNSTTL: DefaultDNSTTL}
	var args *kv
	haveListener, haveOpts := false, false
	for i := range fields {
		f := &fields[i]
		fwhat := what + ": " + f.key
		switch f.key {
		case "profile":
			vals, _, err := l.list(f.v, fwhat)
			if err != nil {
				return nil, false, err
			}
			for _, v := range vals {
				sn.Profiles = append(sn.Profiles, strings.ToLower(v))
			}
		case "description":
			if isNull(resolve(f.v)) {
				continue
			}
			if sn.Description, err = l.scalar(f.v, fwhat); err != nil {
				return nil, false, err
			}
		case "listener":
			v, err := l.scalar(f.v, fwhat)
			if err != nil {
				return nil, false, err
			}
			if v = strings.TrimSpace(v); v != Listener {
				if l.opts.SkipOtherListeners {
					l.warn(f.v, fmt.Sprintf("%s: listener %q skipped (flowlog implements only %s)", what, v, Listener))
					return nil, true, nil
				}
				return nil, false, l.errAt(resolve(f.v), fmt.Sprintf("%s: listener %q: flowlog implements only %q", what, v, Listener))
			}
			haveListener = true
		case "opts":
			vals, nodes, err := l.list(f.v, fwhat)
			if err != nil {
				return nil, false, err
			}
			haveOpts = len(vals) > 0
			for i, v := range vals {
				switch v {
				case EventOpened:
					sn.Opened = true
				case EventClosed:
					sn.Closed = true
				default:
					l.warn(nodes[i], fmt.Sprintf("%s: unknown opt %q ignored (opened, closed)", what, v))
				}
			}
		case "args":
			args = f
		case "tag":
			if isNull(resolve(f.v)) {
				continue
			}
			v, err := l.scalar(f.v, fwhat)
			if err != nil {
				return nil, false, err
			}
			v = strings.TrimSpace(v)
			if strings.ContainsAny(v, "|\r\n") {
				return nil, false, l.errAt(resolve(f.v), fmt.Sprintf("%s: tag %q must not contain '|' or line breaks", what, v))
			}
			sn.Tag = v
		case "interval":
			if sn.Interval, err = l.interval(f.v, fwhat); err != nil {
				return nil, false, err
			}
		default:
			return nil, false, l.errAt(f.k, fmt.Sprintf("%s: unknown key %q (profile, description, listener, opts, args, tag, interval)", what, f.key))
		}
	}
	if !haveListener {
		return nil, false, l.errAt(p.k, fmt.Sprintf("%s: missing listener (want %q)", what, Listener))
	}
	if !haveOpts {
		sn.Opened, sn.Closed = true, true
	} else if !sn.Opened && !sn.Closed {
		l.warn(p.k, fmt.Sprintf("%s: no valid opts: the sensor never fires", what))
	}
	if args == nil {
		return nil, false, l.errAt(p.k, fmt.Sprintf("%s: missing args.patterns (required, non-empty)", what))
	}
	if err := l.args(sn, args, what); err != nil {
		return nil, false, err
	}
	if len(sn.Profiles) == 0 {
		sn.Profiles = []string{"default"}
	}
	sn.Active = profileActive(sn.Profiles, l.opts.Profiles)
	sn.listener = Listener
	if sn.Tag != "" {
		sn.listener += "@" + sn.Tag
	}
	sn.source = fmt.Sprintf("%s:%d", sn.File, sn.Line)
	return sn, false, nil
}

func profileActive(mine, active []string) bool {
	if active == nil {
		active = []string{"default"}
	}
	for _, m := range mine {
		for _, a := range active {
			if strings.EqualFold(m, a) {
				return true
			}
		}
	}
	return false
}

func (l *loader) args(sn *Sensor, a *kv, what string) error {
	fields, err := l.pairs(a.v, what+": args")
	if err != nil {
		return err
	}
	var watch, ignore []Pattern
	havePatterns, sniKey := false, ""
	for i := range fields {
		f := &fields[i]
		fwhat := what + ": args." + f.key
		switch f.key {
		case "patterns", "ignore":
			vals, nodes, err := l.list(f.v, fwhat)
			if err != nil {
				return err
			}
			ps := make([]Pattern, 0, len(vals))
			for j, v := range vals {
				p, err := ParsePattern(v)
				if err != nil {
					msg := err.Error()
					var pe *PatternError
					if errors.As(err, &pe) {
						msg = fmt.Sprintf("%q: %s", pe.Pattern, pe.Msg)
					}
					return l.errAt(nodes[j], fmt.Sprintf("%s: args.%s: bad pattern %s", what, f.key, msg))
				}
				ps = append(ps, p)
			}
			if f.key == "patterns" {
				if len(ps) == 0 {
					return l.errAt(f.k, fmt.Sprintf("%s: args.patterns is empty (required, non-empty)", what))
				}
				watch, havePatterns = ps, true
			} else {
				ignore = ps
			}
		case "dns":
			if sn.DNS, err = l.boolean(f.v, fwhat); err != nil {
				return err
			}
		case "dns-ttl", "dns_ttl":
			if sn.DNSTTL, err = l.duration(f.v, fwhat); err != nil {
				return err
			}
		case "sni-interface", "sni_interface":
			if sniKey != "" {
				return l.errAt(f.k, fmt.Sprintf("%s: both %s and %s given", what, sniKey, f.key))
			}
			sniKey = f.key
			if isNull(resolve(f.v)) {
				continue
			}
			v, err := l.scalar(f.v, fwhat)
			if err != nil {
				return err
			}
			sn.SNIInterface = strings.TrimSpace(v)
		case "locked":
			if sn.Locked, err = l.boolean(f.v, fwhat); err != nil {
				return err
			}
		case "lock-ttl", "lock_ttl":
			if sn.LockTTL, err = l.duration(f.v, fwhat); err != nil {
				return err
			}
		default:
			return l.errAt(f.k, fmt.Sprintf("%s: unknown args key %q (patterns, ignore, dns, dns-ttl, sni-interface, locked, lock-ttl)", what, f.key))
		}
	}
	if !havePatterns {
		return l.errAt(a.k, fmt.Sprintf("%s: missing args.patterns (required, non-empty)", what))
	}
	if sn.LockTTL > 0 && !sn.Locked {
		l.warn(a.k, fmt.Sprintf("%s: args.lock-ttl has no effect without locked: true", what))
	}
	sn.Patterns = newPatternSet(watch, ignore)
	return nil
}

// interval reads a sensor interval: a duration string ("2s"), a number of
// seconds, or serde's {secs, nanos}.
func (l *loader) interval(n *yaml.Node, what string) (time.Duration, error) {
	n = resolve(n)
	if isNull(n) {
		return 0, nil
	}
	if n.Kind != yaml.MappingNode {
		return l.duration(n, what)
	}
	fields, err := l.pairs(n, what)
	if err != nil {
		return 0, err
	}
	var d time.Duration
	for _, f := range fields {
		s, err := l.scalar(f.v, what+"."+f.key)
		if err != nil {
			return 0, err
		}
		v, perr := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if perr != nil {
			return 0, l.errAt(resolve(f.v), fmt.Sprintf("%s.%s: want a non-negative integer, got %q", what, f.key, s))
		}
		switch f.key {
		case "secs":
			d += time.Duration(v) * time.Second
		case "nanos":
			d += time.Duration(v)
		default:
			return 0, l.errAt(f.k, fmt.Sprintf("%s: unknown key %q (secs, nanos)", what, f.key))
		}
	}
	return d, nil
}

// intervalRange reads Sysinspect's `interval: {min, max, unit}` default; it
// returns the minimum (flowlog does not randomise it).
func (l *loader) intervalRange(n *yaml.Node) (time.Duration, error) {
	fields, err := l.pairs(n, "interval")
	if err != nil {
		return 0, err
	}
	var lo, hi uint64
	unit := time.Second
	for _, f := range fields {
		s, err := l.scalar(f.v, "interval."+f.key)
		if err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
		switch f.key {
		case "min", "max":
			v, perr := strconv.ParseUint(s, 10, 32)
			if perr != nil {
				return 0, l.errAt(resolve(f.v), fmt.Sprintf("interval.%s: want a non-negative integer, got %q", f.key, s))
			}
			if f.key == "min" {
				lo = v
			} else {
				hi = v
			}
		case "unit":
			switch strings.ToLower(s) {
			case "ms", "msec", "millisecond", "milliseconds":
				unit = time.Millisecond
			case "min", "mins", "minute", "minutes":
				unit = time.Minute
			case "h", "hr", "hrs", "hour", "hours":
				unit = time.Hour
			default: // Sysinspect treats unknown units as seconds
				unit = time.Second
			}
		default:
			return 0, l.errAt(f.k, fmt.Sprintf("interval: unknown key %q (min, max, unit)", f.key))
		}
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if lo == 0 {
		lo = 1
	}
	return time.Duration(lo) * unit, nil
}

// Evaluate runs every active sensor on f and appends the events that fire
// to dst. Only "opened" and "closed" flows are considered. A locked
// sensor's event fires only if its id is not locked; firing locks it (for
// args.lock-ttl of packet time, or until Unlock).
func (s *SensorSet) Evaluate(f *Flow, dst []Event) []Event {
	var opened bool
	switch f.Event {
	case EventOpened:
		opened = true
	case EventClosed:
	default:
		return dst
	}
	var c mctx
	inited := false
	for _, sn := range s.Sensors {
		if !sn.Active || (opened && !sn.Opened) || (!opened && !sn.Closed) {
			continue
		}
		if !inited {
			c.init(f)
			inited = true
		}
		if !sn.Patterns.match(&c) {
			continue
		}
		eid := sn.EventID(f.Event, c.remote)
		if sn.Locked && !s.locks.Lock(eid, sn.LockTTL.Seconds(), f.TS) {
			continue
		}
		dst = append(dst, sn.event(f, &c, eid))
	}
	return dst
}

func (sn *Sensor) event(f *Flow, c *mctx, eid string) Event {
	strp := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return Event{
		ID: eid, Name: sn.listener, Sensor: sn.ID, Listener: Listener, Source: sn.source,
		UID: f.UIDText(), TS: f.TS,
		Data: &PacketData{
			Action:     f.Event,
			Proto:      f.SensorProto(),
			Local:      addrPortString(c.local),
			Remote:     addrPortString(c.remote),
			LocalHost:  strp(f.LocalHost),
			RemoteHost: strp(f.RemoteHost),
			State:      f.State,
			SNI:        strp(f.SNI),
			UID:        f.UIDText(),
			TS:         f.TS,
			Conn:       f.Conn(),
		},
	}
}
