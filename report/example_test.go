package report_test

import (
	"fmt"

	"github.com/veil-go/veil/report"
)

func ExampleLeakage_To() {
	l := report.Leakage{
		{To: "receiver", What: report.InputSize, About: "sender", Count: 1000},
		{To: "receiver", What: report.Membership, Count: 12, Note: "which of its items the sender also holds"},
		{To: "sender", What: report.InputSize, About: "receiver", Count: 800},
	}
	for _, d := range l.To("sender") {
		fmt.Println(d)
	}
	// Output:
	// sender learns input size of receiver (800)
}
