package csvio_test

import (
	"fmt"
	"strings"

	"github.com/veil-go/veil/internal/csvio"
)

func Example() {
	in := "id,amount\nalice,12.5\nbob,-0.25\ncarol,oops\n"
	t, err := csvio.Read("payments.csv", strings.NewReader(in))
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := t.Strings("id")
	fmt.Println(ids)
	_, err = t.Decimals("amount")
	fmt.Println(err)
	v, _ := csvio.ParseDecimal("12.5")
	fmt.Println(v, csvio.FormatDecimal(v))
	// Output:
	// [alice bob carol]
	// payments.csv:4: column "amount": "oops" is not a number
	// 1250 12.50
}
