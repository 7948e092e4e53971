package scripts

import "fmt"

// PatternSet is a compiled watch list and ignore list, the matcher behind
// both net.packet sensors and flowlog.patterns. It is immutable and safe for
// concurrent use; Match does not allocate.
//
// A flow matches when no ignore pattern matches it, and every class present
// in the watch list matches it: host globs OR-ed together, address patterns
// OR-ed together, DSL patterns OR-ed together, and the classes AND-ed. An
// empty watch list has no classes and so matches every flow not ignored.
type PatternSet struct {
	host, addr, dsl []Pattern // watch patterns by class
	ignore          []Pattern
	watchSrc        []string
	ignoreSrc       []string
}

// CompilePatterns compiles a watch list and an ignore list. Entries are
// trimmed and empty ones dropped. An error names the list ("patterns" or
// "ignore"), the index and the pattern.
func CompilePatterns(watch, ignore []string) (*PatternSet, error) {
	ws, err := parseList("patterns", watch)
	if err != nil {
		return nil, err
	}
	is, err := parseList("ignore", ignore)
	if err != nil {
		return nil, err
	}
	return newPatternSet(ws, is), nil
}

func parseList(name string, list []string) ([]Pattern, error) {
	out := make([]Pattern, 0, len(list))
	for i, s := range list {
		if isEmptyPattern(s) {
			continue
		}
		p, err := ParsePattern(s)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", name, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func isEmptyPattern(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n', '\v', '\f':
		default:
			return false
		}
	}
	return true
}

func newPatternSet(watch, ignore []Pattern) *PatternSet {
	s := &PatternSet{ignore: ignore}
	for _, p := range watch {
		s.watchSrc = append(s.watchSrc, p.src)
		switch p.class {
		case ClassHost:
			s.host = append(s.host, p)
		case ClassAddr:
			s.addr = append(s.addr, p)
		case ClassDSL:
			s.dsl = append(s.dsl, p)
		}
	}
	for _, p := range ignore {
		s.ignoreSrc = append(s.ignoreSrc, p.src)
	}
	return s
}

// Patterns returns the watch patterns as written (trimmed); the caller must
// not modify the slice.
func (s *PatternSet) Patterns() []string { return s.watchSrc }

// Ignore returns the ignore patterns as written (trimmed); the caller must
// not modify the slice.
func (s *PatternSet) Ignore() []string { return s.ignoreSrc }

// HasHostGlob reports whether any watch or ignore pattern is a host glob,
// which is what turns reverse DNS on automatically.
func (s *PatternSet) HasHostGlob() bool {
	if len(s.host) > 0 {
		return true
	}
	for i := range s.ignore {
		if s.ignore[i].class == ClassHost {
			return true
		}
	}
	return false
}

// Match reports whether f passes: no ignore pattern matches, then every
// watch class matches.
func (s *PatternSet) Match(f *Flow) bool {
	var c mctx
	c.init(f)
	return s.match(&c)
}

func (s *PatternSet) match(c *mctx) bool {
	for i := range s.ignore {
		if s.ignore[i].match(c) {
			return false
		}
	}
	return anyMatch(s.addr, c) && anyMatch(s.dsl, c) && anyMatch(s.host, c)
}

// anyMatch is the OR within one class; an absent class (empty list) passes.
func anyMatch(ps []Pattern, c *mctx) bool {
	if len(ps) == 0 {
		return true
	}
	for i := range ps {
		if ps[i].match(c) {
			return true
		}
	}
	return false
}
