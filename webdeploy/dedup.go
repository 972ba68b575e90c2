package webdeploy

import "sync"

// DefaultDedupSize is how many delivery ids a receiver remembers per hook.
const DefaultDedupSize = 4096

// deliverySet remembers the last n delivery ids, so that a redelivery (the
// forge's "Redeliver" button keeps the id) is acknowledged without a
// second deploy. Memory is bounded: the oldest id is forgotten first.
type deliverySet struct {
	mu   sync.Mutex
	seen map[string]struct{}
	ring []string
	next int
}

func newDeliverySet(n int) *deliverySet {
	if n <= 0 {
		n = DefaultDedupSize
	}
	return &deliverySet{seen: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it was new.
func (s *deliverySet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.seen[id] = struct{}{}
	return true
}

// has reports whether id is remembered.
func (s *deliverySet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.seen[id]
	return ok
}

// forget removes id (used when a delivery was not accepted after all, so
// the forge's redelivery is not swallowed).
func (s *deliverySet) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
	for i, v := range s.ring {
		if v == id {
			s.ring[i] = ""
		}
	}
}
