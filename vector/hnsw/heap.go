package hnsw

import "slices"

// Binary heaps of items, written out for speed (container/heap goes through
// an interface). The heaps compare distances only; sortItems breaks ties on
// the node id.

func less(a, b item) bool { return a.d < b.d }

func lessID(a, b item) bool { return a.d < b.d || a.d == b.d && a.id < b.id }

// pushMin adds x to the min-heap h.
func pushMin(h []item, x item) []item {
	h = append(h, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(x, h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	return h
}

// popMin removes the least item, h[0], from the min-heap h.
func popMin(h []item) []item {
	n := len(h) - 1
	x := h[n]
	h = h[:n]
	if n == 0 {
		return h
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(h[c+1], h[c]) {
			c++
		}
		if !less(h[c], x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
	return h
}

// pushMax adds x to the max-heap h.
func pushMax(h []item, x item) []item {
	h = append(h, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[p], x) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	return h
}

// pushBounded adds x to the max-heap h of at most ef items, dropping the
// greatest when it is full.
func pushBounded(h []item, x item, ef int) []item {
	if len(h) < ef {
		return pushMax(h, x)
	}
	if x.d < h[0].d {
		h[0] = x
		siftDownMax(h, 0)
	}
	return h
}

// popMax removes the greatest item, h[0], from the max-heap h.
func popMax(h []item) []item {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	if n > 0 {
		siftDownMax(h, 0)
	}
	return h
}

// siftDownMax restores the max-heap h after h[i] decreased.
func siftDownMax(h []item, i int) {
	n := len(h)
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(h[c], h[c+1]) {
			c++
		}
		if !less(x, h[c]) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// sortItems sorts a in ascending order: by insertion for short slices (the
// usual case: 2*M+1 links, or candidates mostly in order already).
func sortItems(a []item) {
	if len(a) > 64 {
		slices.SortFunc(a, func(x, y item) int {
			if lessID(x, y) {
				return -1
			}
			if lessID(y, x) {
				return 1
			}
			return 0
		})
		return
	}
	for i := 1; i < len(a); i++ {
		x := a[i]
		j := i
		for j > 0 && lessID(x, a[j-1]) {
			a[j] = a[j-1]
			j--
		}
		a[j] = x
	}
}
