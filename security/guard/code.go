package guard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The code scanner finds dangerous patterns in generated code and shell
// command lines: deleting the root or home directory, piping a download into
// a shell, reverse shells, fork bombs, formatting or overwriting disks,
// opening the whole file system to everyone, writing to the password, shadow,
// sudoers or authorized_keys files, running decoded payloads (base64 into a
// shell, exec of b64decode in Python, eval of atob in JavaScript, encoded
// PowerShell), crypto-miners, uploading credential files, and covering
// tracks by disabling the shell history. Its score is that of the most
// dangerous pattern; ordinary commands (rm -rf build/, chmod 755, dd to an
// image file, curl -o) do not match.

var codeRules = []*signal{
	rx("delete root or home", 0.95, `\brm\s+(?:-[A-Za-z]+\s+|--[a-z-]+\s+)*(?:-[A-Za-z]*[rR][A-Za-z]*|--recursive)\s+(?:-[A-Za-z]+\s+|--[a-z-]+\s+)*(?:/\*?|~/?\*?|\$HOME/?\*?|"\$HOME"/?|\$\{HOME\}/?\*?|/(?:home|etc|usr|var|boot|bin|sbin|lib|lib64|root|opt|srv|sys|dev)/?\*?)(?:\s|$|;|&|\||\)|"|')`),
	rx("delete everything here", 0.5, `\brm\s+(?:-[A-Za-z]+\s+)*-[A-Za-z]*[rR][A-Za-z]*\s+(?:\./)?\*(?:\s|$|;)`),
	rx("download piped into a shell", 0.75, `\b(?:curl|wget|fetch)\b[^\n|;]{0,400}\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+\s+)?(?:ba|z|k|da|fi)?sh\b`),
	rx("download piped into an interpreter", 0.7, `\b(?:curl|wget)\b[^\n|;]{0,400}\|\s*(?:sudo\s+)?(?:python[23]?|perl|ruby|node|php)\b`),
	rx("shell running a download", 0.75, `\b(?:bash|zsh|ksh|dash|sh)\s+(?:-c\s+)?(?:["']?\$\(|<\()\s*(?:curl|wget)\b`),
	rx("reverse shell", 0.97, `\b(?:bash|zsh|ksh|sh)\s+-i\s*[0-9]?>&?\s*/dev/(?:tcp|udp)/`),
	rx("reverse shell", 0.9, `/dev/(?:tcp|udp)/[0-9A-Za-z.-]+/[0-9]+`),
	rx("reverse shell", 0.95, `\bnc(?:at)?\b[^\n]{0,80}\s-(?:e|c)\s*["']?(?:/bin/|/usr/bin/)?(?:ba|z)?sh\b`),
	rx("reverse shell", 0.9, `\bmkfifo\b[^\n]{0,160}\bnc\b`),
	rx("reverse shell", 0.9, `\bsocat\b[^\n]{0,200}\b(?:exec|EXEC|system|SYSTEM):`),
	rx("reverse shell", 0.9, `(?s)socket\.socket\(.{0,600}?(?:\.dup2\(|pty\.spawn\(|subprocess\.(?:call|Popen|run)\(\s*\[?\s*["']/bin/(?:ba)?sh)`),
	rx("reverse shell", 0.8, `\bpty\.spawn\(\s*["'](?:/bin/)?(?:ba)?sh["']`),
	rx("reverse shell", 0.9, `(?s)\buse\s+Socket;.{0,400}?\bexec\b`),
	rx("reverse shell", 0.9, `\bNew-Object\s+(?:System\.)?Net\.Sockets\.TCPClient\b`),
	rx("fork bomb", 0.97, `:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:`),
	rx("fork bomb", 0.85, `\(\)\s*\{\s*[A-Za-z_]\w*\s*\|\s*[A-Za-z_]\w*\s*&\s*\}\s*;`),
	rx("fork bomb", 0.85, `(?s)\bwhile\s+(?:True|1)\s*:\s*(?:#[^\n]*)?\s*os\.fork\(\)`),
	rx("fork bomb", 0.9, `%0\s*\|\s*%0`),
	rx("format a disk", 0.9, `\bmkfs(?:\.[a-z0-9]+)?\s+(?:-\S+\s+)*/dev/`),
	rx("overwrite a disk", 0.9, `\bdd\b[^\n]{0,200}\bof=/dev/(?:sd[a-z]|hd[a-z]|nvme[0-9]|xvd[a-z]|vd[a-z]|mmcblk[0-9]|disk[0-9]|mapper/|rdisk[0-9])`),
	rx("overwrite a disk", 0.85, `>\s*/dev/(?:sd[a-z]|hd[a-z]|nvme[0-9]n[0-9]|xvd[a-z]|vd[a-z])\b`),
	rx("wipe a disk", 0.85, `\b(?:shred|wipefs)\b[^\n]{0,80}/dev/`),
	rx("open the file system to all", 0.85, `\bchmod\s+(?:-[A-Za-z]*R[A-Za-z]*|--recursive)\s+(?:0?777|a\+rwx|ugo\+rwx)\s+/(?:\s|$|;|\*)`),
	rx("open system files to all", 0.7, `\bchmod\s+(?:-R\s+)?(?:0?777|a\+rwx|[ugoa]*\+s)\s+/(?:etc|usr|bin|sbin|var|root|home|boot)\b`),
	rx("take the file system", 0.6, `\bchown\s+(?:-[A-Za-z]*R[A-Za-z]*|--recursive)\s+\S+\s+/(?:\s|$|;)`),
	rx("write to account files", 0.85, `(?:>>?\s*|\btee\s+(?:-a\s+)?|\bcp\s+\S+\s+|\bmv\s+\S+\s+|\bsed\s+-i\S*\s+(?:'[^'\n]*'|"[^"\n]*"|\S+)\s+)(?:/etc/(?:passwd|shadow|sudoers|gshadow|group)\b|/etc/sudoers\.d/|/etc/ld\.so\.preload|(?:~|\$HOME|/root|/home/[^/\s]+)/\.ssh/authorized_keys)`),
	rx("write to startup files", 0.6, `(?:>>\s*|\btee\s+-a\s+)(?:/etc/(?:crontab|cron\.d/\S*|rc\.local|profile|bash\.bashrc|environment)|(?:~|\$HOME|/root|/home/[^/\s]+)/\.(?:bashrc|bash_profile|profile|zshrc))`),
	rx("write to account files", 0.85, `\bopen\(\s*["'](?:/etc/(?:passwd|shadow|sudoers)|[^"'\n]*\.ssh/authorized_keys)["']\s*,\s*["'][aw]`),
	rx("passwordless sudo", 0.8, `NOPASSWD\s*:\s*ALL`),
	rx("decoded payload into a shell", 0.9, `\bbase64\s+(?:-d|--decode|-D)\b[^\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|k|da)?sh\b`),
	rx("decoded payload into a shell", 0.9, `\b(?:xxd\s+-r(?:\s+-p)?|openssl\s+(?:base64|enc)\s+-d)\b[^\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b`),
	rx("decoding a payload", 0.5, `\becho\s+["']?[A-Za-z0-9+/=]{24,}["']?\s*\|\s*base64\s+(?:-d|--decode|-D)\b`),
	rx("exec of a decoded payload", 0.9, `\b(?:exec|eval)\s*\(\s*(?:base64\.b64decode|b64decode|codecs\.decode|bytes\.fromhex|binascii\.unhexlify|zlib\.decompress|marshal\.loads|__import__\(\s*["'](?:base64|codecs|zlib|marshal)["']\))`),
	rx("system call with a decoded payload", 0.85, `\bos\.(?:system|popen)\s*\([^\n]{0,200}(?:b64decode|fromhex|unhexlify|base64\s+-d|codecs\.decode)`),
	rx("subprocess with a decoded payload", 0.85, `\bsubprocess\.(?:run|call|Popen|check_output|check_call|getoutput)\s*\([^\n]{0,300}(?:b64decode|fromhex|unhexlify|base64\s+-d)`),
	rx("subprocess piping a download into a shell", 0.85, `\b(?:subprocess\.(?:run|call|Popen|check_output|check_call)|os\.system)\s*\([^\n]{0,300}(?:curl|wget)[^\n]{0,200}\|\s*(?:ba)?sh`),
	rx("hidden import of os.system", 0.65, `__import__\(\s*["']os["']\s*\)\s*\.\s*(?:system|popen)`),
	rx("eval of a decoded payload", 0.85, `\beval\s*\(\s*(?:atob|Buffer\.from|unescape|String\.fromCharCode|base64_decode|gzinflate|str_rot13)\s*\(`),
	rx("Function of a decoded payload", 0.8, `\b(?:new\s+Function|Function)\s*\(\s*atob\s*\(`),
	rxl("encoded PowerShell", 0.9, `\bpowershell(?:\.exe)?\b[^\n]{0,100}\s-(?:e|ec|enc|encodedcommand)\s+[a-z0-9+/=]{20,}`),
	rxl("PowerShell download and run", 0.85, `\b(?:iex|invoke-expression)\b[^\n]{0,40}\(?\s*(?:new-object\s+(?:system\.)?net\.webclient|iwr|invoke-webrequest|irm|invoke-restmethod)`),
	rxl("crypto-miner", 0.85, `\b(?:xmrig|minerd|cpuminer|ccminer|cgminer|bfgminer|nbminer|phoenixminer|ethminer|nicehash|coinhive|cryptonight)\b|stratum\+(?:tcp|ssl|tls)://`),
	rx("credential file upload", 0.9, `\b(?:curl|wget)\b[^\n]{0,300}(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file|--post-file)[=\s]*["']?[^\s"']*@?(?:/etc/(?:passwd|shadow)|(?:~|\$HOME)/\.(?:aws/credentials|ssh/id_\w+|netrc|git-credentials|bash_history|docker/config\.json|kube/config)|\.env\b)`),
	rx("reading credentials", 0.5, `\bcat\s+(?:/etc/shadow|(?:~|\$HOME)/\.(?:aws/credentials|ssh/id_(?:rsa|ed25519|ecdsa|dsa)\b|netrc|git-credentials|docker/config\.json))`),
	rx("covering tracks", 0.7, `\bunset\s+HISTFILE\b|\bHISTFILE=/dev/null|\bhistory\s+-c\b|\bset\s+\+o\s+history\b|\bHISTSIZE=0\b|\bHISTFILESIZE=0\b|\bln\s+-sf?\s+/dev/null\s+\S*\.bash_history|\brm\s+(?:-\S+\s+)*\S*\.bash_history\b|>\s*(?:~|\$HOME)/\.bash_history\b`),
	rx("disabling defences", 0.55, `\bsetenforce\s+0\b|\bufw\s+disable\b|\biptables\s+-F\b|\bsystemctl\s+(?:stop|disable|mask)\s+(?:firewalld|auditd|apparmor|selinux|fail2ban)\b|\bauditctl\s+-D\b`),
	rx("persistent download", 0.8, `(?:crontab\b[^\n]{0,120}|(?:\*|@reboot|@hourly)[^\n]{0,40})(?:curl|wget)\b[^\n]{0,200}\|\s*(?:ba)?sh`),
	rx("kill every process", 0.8, `\bkill\s+-9\s+-1\b`),
}

var codeSet = newSignalSet(codeRules)

// jsonStrings returns the string values of a JSON document joined by
// newlines, or "" when text is not JSON.
func jsonStrings(text string) string {
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if b.Len() < maxDecodedPiece {
				b.WriteString(x)
				b.WriteByte('\n')
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// scanCode implements the code scanner.
func scanCode(s *scan) []finding {
	hits := matchSignals(codeSet, s.text, s.lower)
	if len(hits) == 0 && s.in.Kind == KindToolArgs {
		// Arguments are JSON: read the code in its strings, unescaped.
		if code := jsonStrings(s.text); code != "" {
			sub := &scan{g: s.g, in: &Input{Stage: s.in.Stage, Kind: KindCode}, text: code, lower: lowerText(code)}
			for _, f := range scanCode(sub) {
				f.spans = [][2]int{{0, len(s.text)}}
				return []finding{f}
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].sig.weight > hits[j].sig.weight })
	best := hits[0]
	var labels []string
	seen := map[string]bool{}
	for _, h := range hits {
		if !seen[h.sig.label] {
			seen[h.sig.label] = true
			labels = append(labels, h.sig.label)
		}
	}
	if len(labels) > 4 {
		labels = append(labels[:4], fmt.Sprintf("%d more", len(labels)-4))
	}
	spans := make([][2]int, 0, len(hits))
	for _, h := range hits {
		spans = append(spans, [2]int{h.start, h.end})
	}
	return []finding{{scanner: ScanCode, score: best.sig.weight, spans: spans,
		reason: fmt.Sprintf("dangerous code: %s; at %q", strings.Join(labels, ", "), excerpt(s.text[best.start:best.end], 60))}}
}
