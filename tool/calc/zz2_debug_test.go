package calc

import (
	"fmt"
	"testing"
)

func TestZZPi(t *testing.T) {
	fmt.Println(piDec().String())
	fmt.Println(halfPiDec().String())
}
