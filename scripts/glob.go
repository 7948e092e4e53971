package scripts

import (
	"errors"
	"fmt"
)

// A glob is a compiled glob pattern: `*` matches any run of bytes
// (dots included, possibly empty), `?` exactly one byte, `[abc]`, `[a-z]` one
// byte from the set and `[!..]` (or `[^..]`) one byte not in it; a `]` right
// after `[` or `[!` is literal. Every other byte is literal; there is no
// escape character. With fold set, ASCII letters compare case-insensitively.
//
// Matching does not allocate and runs in O(len(pattern)*len(text)) at worst.
type glob struct {
	shape globShape
	lit   string // shapeExact/Prefix/Suffix: the literal (lower case when fold)
	toks  []gtok // shapeGeneral
	fold  bool   // ASCII case-insensitive
	min   int    // minimum text length
	src   string // the pattern as given
}

type globShape uint8

const (
	shapeGeneral globShape = iota
	shapeAny               // "*"
	shapeExact             // no wildcards
	shapePrefix            // "lit*"
	shapeSuffix            // "*lit"
)

type gtokKind uint8

const (
	tokByte gtokKind = iota
	tokAnyByte
	tokStar
	tokClass
)

type gtok struct {
	kind gtokKind
	b    byte
	set  [4]uint64 // tokClass: bit c set if byte c matches (both cases when folding)
}

func (t *gtok) match(c byte) bool {
	switch t.kind {
	case tokByte:
		return t.b == c
	case tokAnyByte:
		return true
	case tokClass:
		return t.set[c>>6]&(1<<(c&63)) != 0
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// isGlobMeta reports whether c is a glob metacharacter.
func isGlobMeta(c byte) bool { return c == '*' || c == '?' || c == '[' }

func hasGlobMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		if isGlobMeta(s[i]) {
			return true
		}
	}
	return false
}

var errEmptyGlob = errors.New("empty pattern")

// compileGlob compiles s. With fold, the pattern is matched ASCII
// case-insensitively.
func compileGlob(s string, fold bool) (glob, error) {
	g := glob{src: s, fold: fold}
	if s == "" {
		return g, errEmptyGlob
	}
	var toks []gtok
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar { // "**" is "*"
				toks = append(toks, gtok{kind: tokStar})
			}
			i++
		case '?':
			toks = append(toks, gtok{kind: tokAnyByte})
			i++
		case '[':
			t, n, err := parseClass(s[i:], fold)
			if err != nil {
				return g, err
			}
			toks = append(toks, t)
			i += n
		default:
			if fold {
				c = lower(c)
			}
			toks = append(toks, gtok{kind: tokByte, b: c})
			i++
		}
	}
	stars := 0
	for _, t := range toks {
		if t.kind == tokStar {
			stars++
		} else {
			g.min++
		}
	}
	literal := func(ts []gtok) (string, bool) {
		b := make([]byte, 0, len(ts))
		for _, t := range ts {
			if t.kind != tokByte {
				return "", false
			}
			b = append(b, t.b)
		}
		return string(b), true
	}
	switch {
	case len(toks) == 1 && stars == 1:
		g.shape = shapeAny
		return g, nil
	case stars == 0:
		if lit, ok := literal(toks); ok {
			g.shape, g.lit = shapeExact, lit
			return g, nil
		}
	case stars == 1 && toks[0].kind == tokStar:
		if lit, ok := literal(toks[1:]); ok {
			g.shape, g.lit = shapeSuffix, lit
			return g, nil
		}
	case stars == 1 && toks[len(toks)-1].kind == tokStar:
		if lit, ok := literal(toks[:len(toks)-1]); ok {
			g.shape, g.lit = shapePrefix, lit
			return g, nil
		}
	}
	g.shape, g.toks = shapeGeneral, toks
	return g, nil
}

// parseClass parses the bracket expression at the start of s and returns
// its token and length.
func parseClass(s string, fold bool) (gtok, int, error) {
	t := gtok{kind: tokClass}
	i := 1
	neg := false
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		neg = true
		i++
	}
	start := i
	n := 0
	for {
		if i >= len(s) {
			return t, 0, fmt.Errorf("unclosed '[' in %q", s)
		}
		c := s[i]
		if c == ']' && i > start {
			i++
			break
		}
		lo, hi := c, c
		if i+2 < len(s) && s[i+1] == '-' && s[i+2] != ']' {
			hi = s[i+2]
			if hi < lo {
				return t, 0, fmt.Errorf("bad range %q in %q", s[i:i+3], s)
			}
			i += 3
		} else {
			i++
		}
		for b := int(lo); b <= int(hi); b++ {
			add := func(x byte) { t.set[x>>6] |= 1 << (x & 63) }
			add(byte(b))
			if fold {
				add(lower(byte(b)))
				add(upper(byte(b)))
			}
		}
		n++
	}
	if n == 0 {
		return t, 0, fmt.Errorf("empty '[]' in %q", s)
	}
	if neg {
		for k := range t.set {
			t.set[k] = ^t.set[k]
		}
	}
	return t, i, nil
}

// globMatch reports whether text matches g. It does not allocate.
func globMatch[S ~string | ~[]byte](g *glob, text S) bool {
	if len(text) < g.min {
		return false
	}
	switch g.shape {
	case shapeAny:
		return true
	case shapeExact:
		return len(text) == len(g.lit) && eqFold(g, text, 0)
	case shapePrefix:
		return eqFold(g, text, 0)
	case shapeSuffix:
		return eqFold(g, text, len(text)-len(g.lit))
	}
	toks := g.toks
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(text) {
		if px < len(toks) {
			t := &toks[px]
			if t.kind == tokStar {
				starPx, starSx = px, sx
				px++
				continue
			}
			c := text[sx]
			if g.fold {
				c = lower(c)
			}
			if t.match(c) {
				px++
				sx++
				continue
			}
		}
		if starPx < 0 {
			return false
		}
		px = starPx + 1
		starSx++
		sx = starSx
	}
	for px < len(toks) && toks[px].kind == tokStar {
		px++
	}
	return px == len(toks)
}

// eqFold compares g.lit with text[off:off+len(g.lit)].
func eqFold[S ~string | ~[]byte](g *glob, text S, off int) bool {
	lit := g.lit
	for i := 0; i < len(lit); i++ {
		c := text[off+i]
		if g.fold {
			c = lower(c)
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}
