package flow

import (
	"sync"
	"sync/atomic"
)

// serviceID is a Conn's service column as an index into the process's
// service table (0: none; serviceOverflow: the string is in connRare).
type serviceID uint16

const serviceOverflow serviceID = 1<<16 - 1

// services interns the values of the service column: each Conn keeps two
// bytes instead of a string header. The values are few (the analyzer
// names of names/service and their combinations in confirmation order),
// so one table serves every flow table of the process, whatever goroutine
// runs it: lookups take a read lock, reading a name takes none (the names
// slice is replaced, never changed, when a value is added). Past 65,534
// values a connection keeps its string in connRare.
var services = struct {
	mu    sync.RWMutex
	ids   map[string]serviceID
	names atomic.Pointer[[]string]
}{ids: map[string]serviceID{}}

// internService returns the id of s, adding it if new.
func internService(s []byte) serviceID {
	services.mu.RLock()
	id, ok := services.ids[string(s)] // no allocation for the lookup
	services.mu.RUnlock()
	if ok {
		return id
	}
	services.mu.Lock()
	defer services.mu.Unlock()
	if id, ok := services.ids[string(s)]; ok {
		return id
	}
	var names []string
	if p := services.names.Load(); p != nil {
		names = *p
	}
	if len(names)+1 >= int(serviceOverflow) {
		return serviceOverflow
	}
	str := string(s)
	next := make([]string, len(names)+1)
	copy(next, names)
	next[len(names)] = str
	id = serviceID(len(next)) // ids start at 1
	services.ids[str] = id
	services.names.Store(&next)
	return id
}

// Service returns conn.log's service column: the protocols detected on
// the connection, comma-separated in the order they were confirmed (""
// while none; see names/service).
func (c *Conn) Service() string {
	switch c.svc {
	case 0:
		return ""
	case serviceOverflow:
		return c.rare.service
	}
	return (*services.names.Load())[c.svc-1]
}

// SetService sets the service column.
func (c *Conn) SetService(s string) { c.setService([]byte(s)) }

// AddService appends name to the service column ("a" then "a,b"), with no
// allocation once the combination has been seen.
func (c *Conn) AddService(name string) {
	var buf [128]byte
	b := append(buf[:0], c.Service()...)
	if len(b) > 0 {
		b = append(b, ',')
	}
	c.setService(append(b, name...))
}

func (c *Conn) setService(s []byte) {
	if len(s) == 0 {
		c.svc = 0
		return
	}
	c.svc = internService(s)
	if c.svc == serviceOverflow {
		c.rareState().service = string(s)
	}
}
