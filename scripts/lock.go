package scripts

import (
	"math"
	"sync"
)

// LockTable holds the locks behind `locked: true` sensors and
// flowlog.lock: an id that is locked is muted (its event is not emitted
// again) until it is unlocked or, when it was locked with a TTL, until that
// much packet time has passed. Time is always the caller's packet time
// (Flow.TS), never the wall clock.
//
// A LockTable is safe for concurrent use. Share one between all Runtimes and
// the SensorSet so that an event id fires once for the whole process.
type LockTable struct {
	mu sync.Mutex
	m  map[string]float64 // id -> expiry (packet time, seconds); +Inf = until unlocked
}

// NewLockTable returns an empty lock table.
func NewLockTable() *LockTable { return &LockTable{m: make(map[string]float64)} }

// Lock locks id at packet time now for ttl seconds (ttl <= 0: until
// Unlock). It returns true if the lock was taken, false if id was already
// locked (the event must stay muted). An expired lock counts as unlocked.
func (t *LockTable) Lock(id string, ttl, now float64) bool {
	_, _, ok := t.lock(id, ttl, now)
	return ok
}

// lock also returns the previous entry so a failed script call can undo
// it with restore.
func (t *LockTable) lock(id string, ttl, now float64) (prev float64, had, ok bool) {
	exp := math.Inf(1)
	if ttl > 0 {
		exp = now + ttl
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, had = t.m[id]
	if had && now < prev {
		return prev, had, false
	}
	t.m[id] = exp
	return prev, had, true
}

// Unlock releases id. It returns true if id was locked (and not expired at
// the last check).
func (t *LockTable) Unlock(id string) bool {
	_, ok := t.unlock(id)
	return ok
}

func (t *LockTable) unlock(id string) (prev float64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, ok = t.m[id]
	delete(t.m, id)
	return prev, ok
}

// restore puts back the entry a lock or unlock replaced (had false: there
// was none); it undoes the lock operations of a failed script call.
func (t *LockTable) restore(id string, prev float64, had bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if had {
		t.m[id] = prev
	} else {
		delete(t.m, id)
	}
}

// Locked reports whether id is locked at packet time now.
func (t *LockTable) Locked(id string, now float64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.m[id]
	return ok && now < exp
}

// Expire forgets the locks whose TTL has passed at packet time now and
// returns how many it removed. Call it now and then (for example from the
// table's Advance) to bound memory; correctness does not depend on it.
func (t *LockTable) Expire(now float64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id, exp := range t.m {
		if now >= exp {
			delete(t.m, id)
			n++
		}
	}
	return n
}

// Len returns the number of entries (expired ones included until Expire).
func (t *LockTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
