// Package audit is the audit log of llmos: one append-only, hash-chained
// record of every syscall, policy decision, guard verdict and approval of
// every llmos process, in $LLMOS_HOME/audit.log.
//
// # Where it sits
//
// The reference monitor (package security) sees every syscall before it
// runs; after each decision it calls Append. Several llmos processes (one
// `llmos run` while another runs) append to the same file: each Append takes
// an advisory lock on the file (flock on Unix), reads the tip of the chain
// again if the file changed since its Log last looked (its size or
// modification time), writes one line, fdatasyncs it and updates the head
// file. So the chain stays one line across processes, and a record is on
// disk when Append returns. `llmos audit verify` and `llmos audit tail` read
// it.
//
// # Format
//
// One JSON object a line. Plain:
//
//	{"seq":7,"prev":"<hex sha256>","hash":"<hex sha256>","rec":{"time":...,"kind":"verdict",...}}
//
// and, given a Sealer (security/vault's, bound to the "_audit" namespace):
//
//	{"seq":7,"prev":"...","hash":"...","sealed":"<base64 of Seal(rec JSON, ad="7")>"}
//
// hash = SHA-256(prev || "\n" || seq || "\n" || payload), where payload is
// the rec JSON or the base64 text exactly as stored and prev is the hash of
// the record before (64 zeros for the first). The chain can thus be checked
// without the key. Beside the log, audit.log.head holds the seq and hash of
// the last record appended (and, with a Sealer, a MAC of them: Seal(seq
// "\n" hash)), so that records cut from the end of the log can be seen.
//
// # What Verify catches, and what it cannot
//
// Verify reports, with the line and seq of the first of each kind: a record
// whose content, seq, prev or hash was edited; deleted records (a seq gap
// where the chain breaks); reordered records; copies and forgeries inserted
// among the others; records cut from the end (the head names a later one); a
// torn last line (a crash in the middle of a write, which the next Open cuts
// off); lines that are not records; and, with a Sealer, records that do not
// decrypt or are not encrypted at all.
//
// The hashes are public. Someone who can write the files and has no key can
// rewrite the log from some record on, recompute every later hash and
// rewrite the head: without a Sealer that rewrite is a valid log, and so is a
// well-made record appended at the end (Report.PastHead shows it, as it
// shows the record of a writer that crashed before updating the head). With
// a Sealer, each record is sealed with its seq as associated data and the
// head carries a MAC: a rewrite, a renumbering or a forged record no longer
// decrypts, and a rewritten head no longer checks. One attack remains even
// then: cutting the log back to an earlier point and restoring the head file
// saved at that point (a rollback). Copying the head elsewhere (another
// machine, a log service) is the defence against it.
//
// Append refuses to extend a log that was visibly cut (its head names a
// record past its end, or the head is missing) or whose last record does not
// open with the key: Err says why. A person looks (llmos audit verify) and,
// to start over, moves audit.log and audit.log.head aside.
//
// # Example
//
//	l, err := audit.Open(filepath.Join(home, audit.FileName), audit.Options{Sealer: sealer})
//	if err != nil {
//		return err
//	}
//	defer l.Close()
//	_, err = l.Append(ctx, audit.Record{Kind: "verdict", PID: pid, Tool: "web_fetch",
//		Action: "block", Reason: "prompt injection in the page"})
//	...
//	rep, err := audit.Verify(ctx, filepath.Join(home, audit.FileName), audit.Options{Sealer: sealer})
//	if err == nil && !rep.OK {
//		fmt.Println(rep.Problems[0].Detail) // record 42 (line 42) was edited: its hash does not match its content
//	}
package audit
