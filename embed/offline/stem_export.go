package offline

// Stem returns the Porter stem of a lowercase word.
func Stem(w string) string { return stem(w) }
