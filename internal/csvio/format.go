package csvio

import "fmt"

// FormatBytes renders a byte count for the examples' reports: "812 bytes",
// "3.4 KiB", "1.2 MiB", "2.0 GiB".
func FormatBytes(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.1f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	default:
		return fmt.Sprintf("%.0f bytes", v)
	}
}
