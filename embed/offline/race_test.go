//go:build race

package offline

// raceEnabled is set in race builds, where the recall benchmark, which has
// no concurrency to check, would take minutes.
const raceEnabled = true
