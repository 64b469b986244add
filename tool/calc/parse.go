package calc

import (
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"github.com/llmos/llmos"
)

// Limits on the input, so that no expression can exhaust time or memory.
const (
	// MaxLength is the longest expression accepted, in bytes.
	MaxLength = 10000
	// MaxDepth is the deepest nesting of parentheses, function calls, signs
	// and powers accepted.
	MaxDepth = 100
)

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF   tokKind = iota
	tNum           // a number literal; val holds it
	tIdent         // a name: function, constant or word operator
	tOp            // an operator or bracket; text holds its canonical form
)

// token is one lexeme of an expression. pos is its 0-based rune offset.
type token struct {
	kind tokKind
	text string // canonical text: "*" for ×, "pi" for π...
	src  string // the text as written, for messages
	pos  int
	end  int
	val  *big.Rat
}

// nodeKind is the kind of a syntax tree node.
type nodeKind int

const (
	nNum   nodeKind = iota // a number literal
	nConst                 // pi, e, tau
	nNeg                   // unary minus
	nBin                   // a binary operator: + - * / ^ mod
	nPost                  // a postfix operator: % ! deg
	nCall                  // a function call
)

// node is a node of the syntax tree. pos is the 0-based rune offset of the
// operator or name, used in messages.
type node struct {
	kind nodeKind
	op   string
	pos  int
	val  *big.Rat
	args []*node
}

// parser is a recursive-descent parser over a lazily lexed rune slice, so the
// lexer can take the parser's context into account (whether a comma groups
// digits, whether an x means times).
type parser struct {
	src   []rune
	pos   int    // offset of the next unlexed rune
	cur   *token // the peeked token, or nil
	prev  tokKind
	prevT string
	depth int
	// group says, innermost last, whether a comma inside the current
	// brackets may separate groups of digits (false inside the argument list
	// of a function that takes several arguments).
	group []bool
}

// errAt returns an invalid-input error naming a 1-based position.
func errAt(pos int, format string, args ...any) error {
	return llmos.Errorf(llmos.CodeInvalid, "%s at position %d", fmt.Sprintf(format, args...), pos+1)
}

// errHint is errAt with a parenthesised hint after the position.
func errHint(pos int, msg, hint string, args ...any) error {
	return llmos.Errorf(llmos.CodeInvalid, "%s at position %d (%s)", msg, pos+1, fmt.Sprintf(hint, args...))
}

// parse parses a whole expression.
func parse(src []rune) (*node, error) {
	p := &parser{src: src, group: []bool{true}}
	if p.peek().kind == tEOF {
		return nil, llmos.Errorf(llmos.CodeInvalid, "empty expression")
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *parser) peek() *token {
	if p.cur == nil {
		t := p.lex()
		p.cur = &t
	}
	return p.cur
}

func (p *parser) advance() *token {
	t := p.peek()
	p.cur = nil
	p.pos = t.end
	p.prev, p.prevT = t.kind, t.text
	return t
}

// afterOperand reports whether the last token ended an operand, so that what
// follows is in operator position.
func (p *parser) afterOperand() bool {
	switch p.prev {
	case tNum, tIdent:
		return true
	case tOp:
		switch p.prevT {
		case ")", "%", "!", "²", "³", "°":
			return true
		}
	}
	return false
}

// quote renders a token for a message.
func quote(t *token) string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return "'" + t.src + "'"
}

func (p *parser) unexpected(t *token) error {
	if t.kind == tOp && t.text == "!bad" {
		return errAt(t.pos, "%s", t.src)
	}
	if t.kind == tOp && strings.HasPrefix(t.text, "?") {
		return errAt(t.pos, "unexpected character '%s'", t.src)
	}
	if t.kind == tEOF {
		return errAt(t.pos, "unexpected end of expression")
	}
	if p.afterOperand() && (t.kind == tNum || t.kind == tIdent || t.text == "(" || t.text == "√") {
		hint := "write * to multiply"
		if p.prevT == "%" && p.prev == tOp {
			hint = "% means percent; for the remainder write mod"
		}
		return errHint(t.pos, "missing operator before "+quote(t), "%s", hint)
	}
	if t.text == "," {
		return errHint(t.pos, "unexpected ','", "commas separate function arguments, or groups of three digits")
	}
	return errAt(t.pos, "unexpected %s", quote(t))
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(pos, "nesting too deep (more than %d levels)", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// expr := term (('+'|'-') term)*
func (p *parser) expr() (*node, error) {
	if err := p.enter(p.peek().pos); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tOp || (t.text != "+" && t.text != "-") {
			return left, nil
		}
		p.advance()
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		left = &node{kind: nBin, op: t.text, pos: t.pos, args: []*node{left, right}}
	}
}

// term := unary (('*'|'/'|'mod'|'of') unary)*
func (p *parser) term() (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var op string
		switch {
		case t.kind == tOp && (t.text == "*" || t.text == "/"):
			op = t.text
		case t.kind == tIdent && t.text == "mod":
			op = "mod"
		case t.kind == tIdent && t.text == "of":
			op = "*"
		default:
			return left, nil
		}
		p.advance()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &node{kind: nBin, op: op, pos: t.pos, args: []*node{left, right}}
	}
}

// unary := ('-'|'+') unary | power
func (p *parser) unary() (*node, error) {
	t := p.peek()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	if t.kind == tOp && (t.text == "-" || t.text == "+") {
		p.advance()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return x, nil
		}
		return &node{kind: nNeg, op: "-", pos: t.pos, args: []*node{x}}, nil
	}
	return p.power()
}

// power := postfix ('^' unary)?   (right associative, through unary)
func (p *parser) power() (*node, error) {
	base, err := p.postfix()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tOp || t.text != "^" {
		return base, nil
	}
	p.advance()
	exp, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &node{kind: nBin, op: "^", pos: t.pos, args: []*node{base, exp}}, nil
}

// postfix := primary ('%' | '!' | '°' | 'deg' | '²' | '³')*
func (p *parser) postfix() (*node, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tOp && (t.text == "%" || t.text == "!" || t.text == "°"):
			op := t.text
			if op == "°" {
				op = "deg"
			}
			p.advance()
			x = &node{kind: nPost, op: op, pos: t.pos, args: []*node{x}}
		case t.kind == tIdent && t.text == "deg":
			p.advance()
			x = &node{kind: nPost, op: "deg", pos: t.pos, args: []*node{x}}
		case t.kind == tOp && (t.text == "²" || t.text == "³"):
			p.advance()
			n := int64(2)
			if t.text == "³" {
				n = 3
			}
			x = &node{kind: nBin, op: "^", pos: t.pos, args: []*node{x, {kind: nNum, pos: t.pos, val: big.NewRat(n, 1)}}}
		default:
			return x, nil
		}
	}
}

// primary := number | constant | name '(' args ')' | '(' expr ')' | '√' postfix
func (p *parser) primary() (*node, error) {
	t := p.peek()
	switch t.kind {
	case tNum:
		p.advance()
		return &node{kind: nNum, pos: t.pos, val: t.val}, nil
	case tIdent:
		return p.name()
	case tOp:
		switch t.text {
		case "(":
			p.advance()
			if err := p.enter(t.pos); err != nil {
				return nil, err
			}
			defer p.leave()
			p.group = append(p.group, true)
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if c := p.peek(); c.kind != tOp || c.text != ")" {
				if c.kind == tEOF {
					return nil, errHint(c.pos, "missing ')'", "to close the '(' at position %d", t.pos+1)
				}
				return nil, p.unexpected(c)
			}
			p.group = p.group[:len(p.group)-1]
			p.advance()
			return x, nil
		case "√":
			p.advance()
			if err := p.enter(t.pos); err != nil {
				return nil, err
			}
			defer p.leave()
			x, err := p.postfix()
			if err != nil {
				return nil, err
			}
			return &node{kind: nCall, op: "sqrt", pos: t.pos, args: []*node{x}}, nil
		}
	}
	return nil, p.unexpected(t)
}

// name parses a constant or a function call.
func (p *parser) name() (*node, error) {
	t := p.advance()
	if _, ok := constants[t.text]; ok {
		return &node{kind: nConst, op: t.text, pos: t.pos}, nil
	}
	f, ok := functions[t.text]
	if !ok {
		switch t.text {
		case "mod", "of", "x":
			return nil, errHint(t.pos, "unexpected '"+t.src+"'", "it goes between two numbers")
		case "deg":
			return nil, errHint(t.pos, "unexpected '"+t.src+"'", "it goes after a number")
		}
		return nil, errHint(t.pos, "unknown name '"+t.src+"'", "functions: %s; constants: pi, e, tau", functionNames())
	}
	open := p.peek()
	if open.kind != tOp || open.text != "(" {
		return nil, errAt(open.pos, "expected '(' after %s", t.text)
	}
	p.advance()
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	p.group = append(p.group, f.max == 1)
	var args []*node
	if c := p.peek(); c.kind == tOp && c.text == ")" {
		// no arguments
	} else {
		for {
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			c := p.peek()
			if c.kind == tOp && c.text == "," {
				p.advance()
				continue
			}
			break
		}
	}
	c := p.peek()
	if c.kind != tOp || c.text != ")" {
		if c.kind == tEOF {
			return nil, errHint(c.pos, "missing ')'", "to close %s( at position %d", t.text, t.pos+1)
		}
		return nil, p.unexpected(c)
	}
	p.group = p.group[:len(p.group)-1]
	p.advance()
	if len(args) < f.min || (f.max >= 0 && len(args) > f.max) {
		return nil, errAt(t.pos, "%s takes %s, got %d", t.text, f.arity(), len(args))
	}
	return &node{kind: nCall, op: t.text, pos: t.pos, args: args}, nil
}

// symbols maps operator runes to their canonical text.
var symbols = map[rune]string{
	'+': "+", '-': "-", '−': "-", '–': "-",
	'*': "*", '×': "*", '·': "*", '⋅': "*", '∗': "*",
	'/': "/", '÷': "/", '∕': "/",
	'^': "^", '(': "(", ')': ")", ',': ",",
	'%': "%", '!': "!", '°': "°", '²': "²", '³': "³", '√': "√",
}

// lex reads the token at p.pos.
func (p *parser) lex() token {
	src := p.src
	i := p.pos
	for i < len(src) && unicode.IsSpace(src[i]) {
		i++
	}
	if i >= len(src) {
		return token{kind: tEOF, pos: i, end: i}
	}
	c := src[i]
	switch {
	case c >= '0' && c <= '9' || c == '.':
		return p.lexNumber(i)
	case c == '*' && i+1 < len(src) && src[i+1] == '*':
		return token{kind: tOp, text: "^", src: "**", pos: i, end: i + 2}
	case c == 'π':
		return token{kind: tIdent, text: "pi", src: "π", pos: i, end: i + 1}
	case c == 'τ':
		return token{kind: tIdent, text: "tau", src: "τ", pos: i, end: i + 1}
	case (c == 'x' || c == 'X') && p.afterOperand() && (i+1 >= len(src) || !isLetter(src[i+1])):
		return token{kind: tOp, text: "*", src: string(c), pos: i, end: i + 1}
	case isLetter(c):
		j := i
		for j < len(src) && (isLetter(src[j]) || src[j] >= '0' && src[j] <= '9') {
			j++
		}
		s := string(src[i:j])
		return token{kind: tIdent, text: strings.ToLower(s), src: s, pos: i, end: j}
	}
	if s, ok := symbols[c]; ok {
		return token{kind: tOp, text: s, src: string(c), pos: i, end: i + 1}
	}
	return token{kind: tOp, text: "?" + string(c), src: printable(c), pos: i, end: i + 1}
}

func isLetter(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func printable(c rune) string {
	if unicode.IsPrint(c) {
		return string(c)
	}
	return fmt.Sprintf("%U", c)
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

// lexNumber reads a number literal at i: digits with optional separators
// (',' between groups of three, where commas may group, or '_' between
// digits), an optional fraction, and an optional exponent.
func (p *parser) lexNumber(i int) token {
	src := p.src
	start := i
	var digits []byte // significant digits, integer and fraction together
	frac := 0
	group := p.group[len(p.group)-1]
	groups := 0 // commas seen
	comma := 0  // position of the last comma
	run := 0    // digits since the last comma or the start
	bad := func(at int, format string, args ...any) token {
		return token{kind: tOp, text: "!bad", src: fmt.Sprintf(format, args...), pos: at, end: at + 1}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case isDigit(c):
			digits = append(digits, byte(c))
			run++
			i++
			continue
		case c == '_' && run > 0 && i+1 < len(src) && isDigit(src[i+1]):
			i++
			continue
		case c == ',' && group && run > 0 && i+1 < len(src) && isDigit(src[i+1]):
			// A comma followed by a digit inside a number groups digits.
			if groups == 0 {
				if run > 3 {
					return bad(i, "bad digit grouping: a comma must follow 1 to 3 digits")
				}
			} else if run != 3 {
				return bad(comma, "bad digit grouping: commas must separate groups of three digits")
			}
			groups++
			comma = i
			run = 0
			i++
			continue
		}
		break
	}
	if groups > 0 && run != 3 {
		return bad(comma, "bad digit grouping: commas must separate groups of three digits")
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && (isDigit(src[i]) || src[i] == '_' && i+1 < len(src) && isDigit(src[i+1]) && isDigit(src[i-1])) {
			if src[i] != '_' {
				digits = append(digits, byte(src[i]))
				frac++
			}
			i++
		}
	}
	if len(digits) == 0 {
		return token{kind: tOp, text: ".", src: ".", pos: start, end: start + 1}
	}
	exp := 0
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		neg := false
		if j < len(src) && (src[j] == '+' || src[j] == '-' || src[j] == '−') {
			neg = src[j] != '+'
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				if exp < 1e8 {
					exp = exp*10 + int(src[j]-'0')
				}
				j++
			}
			if neg {
				exp = -exp
			}
			i = j
		}
	}
	if i < len(src) && (isDigit(src[i]) || src[i] == '.') {
		return bad(i, "malformed number")
	}
	if i == start+1 && src[start] == '0' && i < len(src) && (src[i] == 'x' || src[i] == 'X') {
		return bad(start, "hexadecimal numbers are not supported")
	}
	text := string(src[start:i])
	val, err := literal(digits, frac, exp)
	if err != "" {
		return bad(start, "number '%s' is %s", text, err)
	}
	return token{kind: tNum, text: text, src: text, pos: start, end: i, val: val}
}

// literal builds the exact value digits × 10^(exp-frac), refusing numbers
// beyond the calculator's range.
func literal(digits []byte, frac, exp int) (*big.Rat, string) {
	s := strings.TrimLeft(string(digits), "0")
	if s == "" {
		return new(big.Rat), ""
	}
	scale := exp - frac
	s2 := strings.TrimRight(s, "0")
	scale += len(s) - len(s2)
	s = s2
	adj := len(s) - 1 + scale
	if adj >= maxAdj {
		return nil, "too large (the limit is 1e10000)"
	}
	if adj < -maxAdj {
		return nil, "too small (the limit is 1e-10000)"
	}
	if float64(len(s))*log2of10 > maxRatBits || float64(-scale)*log2of10 > maxRatBits {
		return nil, "too long"
	}
	n, _ := new(big.Int).SetString(s, 10)
	if scale >= 0 {
		n.Mul(n, pow10(scale))
		return new(big.Rat).SetInt(n), ""
	}
	return new(big.Rat).SetFrac(n, pow10(-scale)), ""
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
