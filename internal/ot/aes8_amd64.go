//go:build amd64 && !purego

package ot

// aesEnc8 encrypts the 8 blocks of src into dst with AES-128 under the
// expanded key xk (AES-NI).
//
//go:noescape
func aesEnc8(xk *[176]byte, dst, src *[128]byte)

// cpuHasAES reports whether the CPU has the AES-NI instructions.
func cpuHasAES() bool

var haveAES8 = cpuHasAES()
