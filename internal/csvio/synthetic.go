package csvio

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/veil-go/veil/internal/prg"
)

// Synthetic is a deterministic stream for the demo data that the examples
// generate when they are run without input files: the same (name, seed)
// gives the same data on every machine. It is AES-CTR keyed by a hash of
// the name and the seed, and must never be used for anything secret.
type Synthetic struct {
	g *prg.PRG
}

// NewSynthetic returns the stream for a program name and a seed.
func NewSynthetic(name string, seed int64) (*Synthetic, error) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	g, err := prg.New(prg.Seed(sha256.Sum256(append([]byte("veil synthetic data: "+name+"\x00"), b[:]...))))
	if err != nil {
		return nil, err
	}
	return &Synthetic{g: g}, nil
}

// Uint64 returns 64 pseudorandom bits.
func (s *Synthetic) Uint64() uint64 { return s.g.Uint64() }

// Float64 returns a uniform value in [0, 1).
func (s *Synthetic) Float64() float64 { return float64(s.g.Uint64()>>11) / (1 << 53) }

// Normal returns a standard normal value (Box-Muller).
func (s *Synthetic) Normal() float64 {
	u1 := (float64(s.g.Uint64()>>11) + 0.5) / (1 << 53) // in (0, 1)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*s.Float64())
}

// Cents rounds x to two fraction digits and returns it scaled by Scale.
func Cents(x float64) int64 { return int64(math.Round(x * Scale)) }
