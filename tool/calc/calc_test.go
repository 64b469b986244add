package calc

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

const (
	pi34  = "3.141592653589793238462643383279503"
	e34   = "2.718281828459045235360287471352662"
	sqrt2 = "1.414213562373095048801688724209698"
)

func TestEval(t *testing.T) {
	tests := []struct{ expr, want string }{
		// precedence and associativity
		{"1+2*3", "7"},
		{"(1+2)*3", "9"},
		{"10-4-3", "3"},
		{"100/10/5", "2"},
		{"2^3^2", "512"},
		{"2**3**2", "512"},
		{"(2^3)^2", "64"},
		{"1 + 2 * 3 ^ 2", "19"},
		{"7 - 2 mod 3", "5"},
		{"12345 * 6789", "83810205"},
		// unary signs
		{"-2^2", "-4"},
		{"(-2)^2", "4"},
		{"-2^-2", "-0.25"},
		{"2^-2^2", "0.0625"},
		{"--3", "3"},
		{"-+-3", "3"},
		{"2*-3", "-6"},
		{"2 - -3", "5"},
		{"+5", "5"},
		{"-(3)", "-3"},
		// numbers
		{"1.5", "1.5"},
		{".5", "0.5"},
		{"5.", "5"},
		{"007", "7"},
		{"1e6", "1000000"},
		{"1E-3", "0.001"},
		{"1e+3", "1000"},
		{"2.5e-3", "0.0025"},
		{"0e99999", "0"},
		{"1,234,567", "1234567"},
		{"1,234.5", "1234.5"},
		{"1_000_000", "1000000"},
		{"0.1+0.2", "0.3"},
		{"123456789.123456789", "123456789.123456789"},
		// other symbols
		{"3 × 4", "12"},
		{"12 ÷ 4", "3"},
		{"3 x 4", "12"},
		{"3x4", "12"},
		{"2·3", "6"},
		{"−5 + 2", "-3"},
		{"π", pi34},
		{"√16", "4"},
		{"√2", sqrt2},
		{"2²", "4"},
		{"2³", "8"},
		{"  1 +\t2\n", "3"},
		// percent
		{"50%", "0.5"},
		{"20% of 50", "10"},
		{"50 * 110%", "55"},
		{"50 + 10%", "50.1"},
		{"200 * 15%", "30"},
		{"-5%", "-0.05"},
		{"(50)%", "0.5"},
		// mod
		{"7 mod 3", "1"},
		{"-7 mod 3", "2"},
		{"7 mod -3", "-2"},
		{"7.5 mod 2", "1.5"},
		{"10 mod 2.5", "0"},
		{"10 mod pi", "0.5752220392306202846120698501614913"},
		// factorial
		{"0!", "1"},
		{"5!", "120"},
		{"20!", "2432902008176640000"},
		{"3!!", "720"},
		{"-3!", "-6"},
		{"2^3!", "64"},
		{"factorial(6)", "720"},
		{"100!", "93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000"},
		// powers
		{"2^-2", "0.25"},
		{"10^-3", "0.001"},
		{"4^0.5", "2"},
		{"8^(1/3)", "2"},
		{"(-8)^(1/3)", "-2"},
		{"8^(2/3)", "4"},
		{"(-8)^(2/3)", "4"},
		{"16^(-1/4)", "0.5"},
		{"(9/4)^(1/2)", "1.5"},
		{"0^0", "1"},
		{"0^5", "0"},
		{"1^(10^1000)", "1"},
		{"(-1)^(10^1000+1)", "-1"},
		{"(2/3)^2", "0.4444444444444444444444444444444444"},
		{"1.05^10", "1.62889462677744140625"},
		{"2^0.5", sqrt2},
		{"2^(1/3)", "1.259921049894873164767210607278228"},
		{"e^2", "7.389056098930650227230427460575008"},
		{"pi^2", "9.869604401089358618834490999876151"},
		{"2^pi", "8.824977827076287623856429604208002"},
		{"3^0.7", "2.157669279974593099554948915980273"},
		{"e^pi", "23.14069263277926900572908636794855"},
		{"pi^e", "22.45915771836104547342715220454374"},
		{"10^-2.5", "0.003162277660168379331998893544432719"},
		{"1.0001^100000", "22015.45604855219864570145658165872"},
		// functions
		{"sqrt(2)", sqrt2},
		{"sqrt(3)", "1.732050807568877293527446341505872"},
		{"sqrt(16)", "4"},
		{"sqrt(1/4)", "0.5"},
		{"sqrt(0)", "0"},
		{"sqrt(10^99)", "3.162277660168379331998893544432719e+49"},
		{"cbrt(27)", "3"},
		{"cbrt(-27)", "-3"},
		{"abs(-3.5)", "3.5"},
		{"exp(0)", "1"},
		{"exp(1)", e34},
		{"exp(1/3)", "1.395612425086089528628125319602587"},
		{"exp(100)", "2.688117141816135448412625551580014e+43"},
		{"exp(-30)", "9.357622968840174604915832223378707e-14"},
		{"ln(1)", "0"},
		{"ln(e)", "1"},
		{"ln(2)", "0.6931471805599453094172321214581766"},
		{"ln(10)", "2.302585092994045684017991454684364"},
		{"log(1000)", "3"},
		{"log(0.001)", "-3"},
		{"log(2)", "0.301029995663981195213738894724493"},
		{"log10(100)", "2"},
		{"log2(8)", "3"},
		{"log2(0.125)", "-3"},
		{"log2(3)", "1.584962500721156181453738943947817"},
		{"log(8, 2)", "3"},
		{"log(2, 8)", "0.3333333333333333333333333333333333"},
		{"log(9, 27)", "0.6666666666666666666666666666666667"},
		{"sin(0)", "0"},
		{"cos(0)", "1"},
		{"sin(pi)", "0"},
		{"cos(pi)", "-1"},
		{"sin(pi/2)", "1"},
		{"cos(pi/2)", "0"},
		{"tan(pi/4)", "1"},
		{"sin(pi/6)", "0.5"},
		{"sin(30°)", "0.5"},
		{"cos(60 deg)", "0.5"},
		{"sin(1)", "0.841470984807896506652502321630299"},
		{"cos(1)", "0.5403023058681397174009366074429766"},
		{"tan(1)", "1.55740772465490223050697480745836"},
		{"sin(100)", "-0.5063656411097587936565576104597854"},
		{"cos(1e20)", "0.7639704044417283004001468027378811"},
		{"sin(1e99)", "-0.2725116019343659650277062796705163"},
		{"asin(1)", "1.570796326794896619231321691639751"},
		{"asin(1/3)", "0.3398369094541219370963925133917641"},
		{"acos(1/3)", "1.230959417340774682134929178247987"},
		{"acos(1)", "0"},
		{"acos(0)", "1.570796326794896619231321691639751"},
		{"acos(-1)", pi34},
		{"atan(1)", "0.7853981633974483096156608458198757"},
		{"atan(10)", "1.471127674303734591852875571761731"},
		{"atan(1)*4", pi34},
		{"floor(2.7)", "2"},
		{"floor(-2.5)", "-3"},
		{"ceil(2.1)", "3"},
		{"ceil(-2.1)", "-2"},
		{"trunc(-2.7)", "-2"},
		{"trunc(2.7)", "2"},
		{"round(2.5)", "3"},
		{"round(-2.5)", "-3"},
		{"round(2.4)", "2"},
		{"round(pi, 2)", "3.14"},
		{"round(1234.5, -2)", "1200"},
		{"floor(pi*1e20)", "314159265358979323846"},
		{"floor(ln(e^5))", "5"},
		{"min(3, 1, 2)", "1"},
		{"max(3, 1, 2)", "3"},
		{"max(1,234)", "234"},
		{"max(pi, 3)", pi34},
		{"sqrt(1,000,000)", "1000"},
		{"gcd(12, 18)", "6"},
		{"gcd(0, 5)", "5"},
		{"lcm(4, 6)", "12"},
		{"lcm(4, 6, 10)", "60"},
		{"SQRT(4)", "2"},
		// constants
		{"pi", pi34},
		{"e", e34},
		{"tau", "6.283185307179586476925286766559006"},
		// big and small numbers
		{"2^200", "1606938044258990275541962092341162602522202993782792835301376"},
		{"2^1000", "10715086071862673209484250490600018105614048117055336074437503883703510511249361224931983788156958581275946729175531468251871452856923140435984577574698574803934567774824230985421074605062371141877954182153046474983581941267398767559165543946077062914571196477686542167660429831652624386837205668069376"},
		{"12345678901234567890 * 98765432109876543210", "1219326311370217952237463801111263526900"},
		{"2^-100", "7.888609052210118054117285652827862296732064351090230047702789306640625e-31"},
		{"1/3", "0.3333333333333333333333333333333333"},
		{"2/3", "0.6666666666666666666666666666666667"},
		{"1/7", "0.1428571428571428571428571428571429"},
		{"22/7", "3.142857142857142857142857142857143"},
		{"1/8", "0.125"},
		{"-1/8", "-0.125"},
		{"1/1024", "0.0009765625"},
		{"1/1e10", "0.0000000001"},
		{"1/1e11", "1e-11"},
		{"1e-20", "1e-20"},
		{"1.5e-20", "1.5e-20"},
		{"1/3e20", "3.333333333333333333333333333333333e-21"},
		{"10^50 + 1/3", "1e+50"},
		{"10^50 + 1/2", "100000000000000000000000000000000000000000000000000.5"},
		// digits lost and found
		{"sqrt(2)^2", "2"},
		{"sqrt(2)^2 - 2", "0"},
		{"exp(ln(5))", "5"},
		{"exp(-1e-60) - 1", "-1e-60"},
		{"ln(1 + 1e-60)", "1e-60"},
		{"sin(1e-60)", "1e-60"},
		{"tan(1e-60)", "1e-60"},
		{"(pi + 1e-45) - pi", "1e-45"},
		{"sin(1e30*pi)", "0"},
	}
	for _, tt := range tests {
		got, err := Eval(tt.expr)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.expr, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Eval(%q) = %s, want %s", tt.expr, got, tt.want)
		}
	}
}

func TestEvalLong(t *testing.T) {
	got, err := Eval("2^33000")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9934 || strings.Contains(got, "e") {
		t.Errorf("2^33000 has %d characters, want 9934 digits in full", len(got))
	}
	got, err = Eval("3248!")
	if err != nil || len(got) != 9998 {
		t.Errorf("3248! = %d digits, %v; want 9998 digits", len(got), err)
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "empty expression"},
		{"   ", "empty expression"},
		{"1/0", "division by zero at position 2"},
		{"1 mod 0", "division by zero"},
		{"0^-1", "division by zero"},
		{"1/(sqrt(2)^2-2)", "division by zero (the divisor is zero to 300 digits) at position 2"},
		{"sqrt(-1)", "square root of a negative number at position 1"},
		{"ln(0)", "logarithm of zero or a negative number at position 1"},
		{"ln(-1)", "logarithm of zero or a negative number"},
		{"log(10, 1)", "logarithm base"},
		{"log(10, -2)", "logarithm base"},
		{"(-8)^(1/2)", "even root of a negative number"},
		{"(-2)^pi", "negative number to a power"},
		{"(1+2", "missing ')' at position 5"},
		{"sqrt(2", "missing ')' at position 7"},
		{"1+2)", "unexpected ')' at position 4"},
		{"()", "unexpected ')' at position 2"},
		{"1 +", "unexpected end of expression at position 4"},
		{"foo(3)", "unknown name 'foo' at position 1"},
		{"x", "unexpected 'x'"},
		{"mod 3", "unexpected 'mod' at position 1 (it goes between two numbers)"},
		{"sqrt", "expected '(' after sqrt"},
		{"sqrt 4", "expected '(' after sqrt"},
		{"sqrt(1, 2)", "sqrt takes 1 argument, got 2"},
		{"max()", "max takes 1 or more arguments, got 0"},
		{"2pi", "missing operator before 'pi' at position 2"},
		{"3 4", "missing operator before '4' at position 3"},
		{"2(3)", "missing operator before '('"},
		{"50 % 3", "% means percent"},
		{",", "unexpected ','"},
		{"1, 2", "unexpected ','"},
		{"1,23", "bad digit grouping: commas must separate groups of three digits at position 2"},
		{"1,2345", "bad digit grouping"},
		{"1234,567", "bad digit grouping"},
		{"1.2.3", "malformed number"},
		{"0x1F", "hexadecimal numbers are not supported"},
		{".", "unexpected '.'"},
		{"1 $ 2", "unexpected character '$' at position 3"},
		{"1e10001", "number '1e10001' is too large"},
		{"1e-10001", "number '1e-10001' is too small"},
		{"2^100000", "result too large"},
		{"10^10000", "result too large"},
		{"10^-10001", "result too small"},
		{"(10^5000)^3", "result too large"},
		{"2^(10^100)", "result too large"},
		{"exp(1e6)", "result too large"},
		{"exp(-1e6)", "result too small"},
		{"3249!", "result too large"},
		{"(10^100)!", "result too large"},
		{"(-1)!", "factorial of a negative number"},
		{"2.5!", "factorial needs whole numbers"},
		{"gcd(1.5, 2)", "gcd needs whole numbers"},
		{"asin(2)", "defined only from -1 to 1"},
		{"acos(-1.5)", "defined only from -1 to 1"},
		{"tan(pi/2)", "tan is undefined"},
		{"sin(1e100)", "too large"},
		{"round(1, 100000)", "too many places"},
		{"1e9999 mod pi", "too much precision lost"},
		{"(1+1e-9999)^(10^9999)", "too much precision lost"},
		{strings.Repeat("1+", 5000) + "1", "expression too long"},
		{strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1), "nesting too deep"},
		{strings.Repeat("-", 2*MaxDepth) + "1", "nesting too deep"},
		{strings.Repeat("sqrt(", MaxDepth) + "1" + strings.Repeat(")", MaxDepth), "nesting too deep"},
		{strings.Repeat("2^", 2*MaxDepth) + "1", "nesting too deep"},
		{"\xff", "not valid UTF-8"},
	}
	for _, tt := range tests {
		got, err := Eval(tt.expr)
		if err == nil {
			t.Errorf("Eval(%.40q) = %s, want an error containing %q", tt.expr, got, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Eval(%.40q): error %q, want it to contain %q", tt.expr, err, tt.want)
		}
		if code := llmos.ErrorCode(err); code != llmos.CodeInvalid {
			t.Errorf("Eval(%.40q): code %s, want invalid", tt.expr, code)
		}
	}
}

func TestTool(t *testing.T) {
	tool := Tool()
	if tool.Name != "calc" || tool.Description == "" || len(tool.Capabilities) != 0 {
		t.Fatalf("Tool() = name %q, %d capabilities", tool.Name, len(tool.Capabilities))
	}
	var schema map[string]any
	if err := json.Unmarshal(tool.Parameters, &schema); err != nil {
		t.Fatalf("parameters are not JSON: %v", err)
	}
	if schema["type"] != "object" || schema["additionalProperties"] != false {
		t.Errorf("schema = %v", schema)
	}
	ctx := context.Background()
	got, err := tool.Call(ctx, json.RawMessage(`{"expression": "2^10 + 1/4"}`))
	if err != nil || got != "1024.25" {
		t.Errorf("Call = %q, %v; want 1024.25", got, err)
	}
	if _, err := tool.Call(ctx, json.RawMessage(`{"expression": "1/0"}`)); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Call(1/0) error = %v, want code invalid", err)
	}
	if _, err := tool.Call(ctx, json.RawMessage(`[1]`)); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Call([1]) error = %v, want code invalid", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tool.Call(cancelled, json.RawMessage(`{"expression": "1+1"}`)); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Call with a cancelled context: error %v, want code canceled", err)
	}
}

// TestConcurrent evaluates at once from several goroutines, for the race
// detector: the lazily computed constants are shared.
func TestConcurrent(t *testing.T) {
	done := make(chan string)
	for range 4 {
		go func() {
			r, _ := Eval("sin(pi/6) + e - e + tau/2 - pi + ln(10)/ln(10)")
			done <- r
		}()
	}
	for range 4 {
		if r := <-done; r != "1.5" {
			t.Errorf("got %s, want 1.5", r)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	for _, bm := range []struct{ name, expr string }{
		{"integer", "12345 * 6789 + 2^64 - 1"},
		{"fraction", "1/3 + 2/7 - 5/11"},
		{"sqrt", "sqrt(2)"},
		{"trig", "sin(1) + cos(1)"},
		{"power", "2^pi"},
		{"big", "2^10000 / 3^1000"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Eval(bm.expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
