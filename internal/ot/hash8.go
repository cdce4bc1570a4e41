package ot

import (
	"crypto/subtle"
	"encoding/binary"
)

// The correlated OTs hash every row with [CRHash]; this file computes the
// same hash eight blocks at a time with AES-NI (aes8_amd64.s), since one
// call of crypto/aes per block costs about ten times the instruction's
// pipelined throughput. Where AES-NI is missing (or with the purego build
// tag) it falls back to [CRHash.HashRows]; both give the same outputs
// (TestHashLow64MatchesCRHash).

// aesSbox is the AES S-box, computed rather than typed in.
var aesSbox = func() [256]byte {
	var s [256]byte
	rotl := func(x byte, k uint) byte { return x<<k | x>>(8-k) }
	p, q := byte(1), byte(1)
	for {
		// p *= 3, q /= 3 in GF(2^8): q stays p's inverse
		hi := p & 0x80
		p ^= p << 1
		if hi != 0 {
			p ^= 0x1b
		}
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		s[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

// expandKey128 is the AES-128 key schedule (FIPS 197 section 5.2): the 11
// round keys in the byte order AES-NI loads them.
func expandKey128(key [16]byte) [176]byte {
	var xk [176]byte
	copy(xk[:], key[:])
	rcon := byte(1)
	for i := 16; i < 176; i += 4 {
		t := [4]byte{xk[i-4], xk[i-3], xk[i-2], xk[i-1]}
		if i%16 == 0 {
			t = [4]byte{aesSbox[t[1]] ^ rcon, aesSbox[t[2]], aesSbox[t[3]], aesSbox[t[0]]}
			hi := rcon & 0x80
			rcon <<= 1
			if hi != 0 {
				rcon ^= 0x1b
			}
		}
		for k := range 4 {
			xk[i+k] = xk[i-16+k] ^ t[k]
		}
	}
	return xk
}

var fixedXK = expandKey128(fixedKey)

// useAES8 is whether hashLow64 takes the 8-block path: AES-NI is present
// and the expanded key agrees with crypto/aes on a block.
var useAES8 = haveAES8 && aes8Agrees()

func aes8Agrees() bool {
	var src, dst [128]byte
	for i := range src {
		src[i] = byte(i * 7)
	}
	aesEnc8(&fixedXK, &dst, &src)
	h := NewCRHash()
	var want [16]byte
	for b := range 8 {
		h.pi.Encrypt(want[:], src[16*b:16*b+16])
		if subtle.ConstantTimeCompare(want[:], dst[16*b:16*b+16]) != 1 {
			return false
		}
	}
	return true
}

// hashLow64 sets out[j] to the low 64 bits of H(tweak+j, x_j), [CRHash]'s
// hash of the rows x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
func hashLow64(h *CRHash, out []uint64, tweak uint64, rows []uint64, xlo, xhi uint64) {
	n := len(out)
	done := 0
	if useAES8 {
		var a, y, z [128]byte
		for ; done+8 <= n; done += 8 {
			for b := range 8 {
				binary.LittleEndian.PutUint64(a[16*b:], rows[2*(done+b)]^xlo)
				binary.LittleEndian.PutUint64(a[16*b+8:], rows[2*(done+b)+1]^xhi)
			}
			aesEnc8(&fixedXK, &y, &a) // y = pi(x)
			z = y
			for b := range 8 {
				w := binary.LittleEndian.Uint64(z[16*b:])
				binary.LittleEndian.PutUint64(z[16*b:], w^(tweak+uint64(done+b)))
			}
			aesEnc8(&fixedXK, &z, &z) // pi(pi(x) ^ i)
			for b := range 8 {
				out[done+b] = binary.LittleEndian.Uint64(z[16*b:]) ^ binary.LittleEndian.Uint64(y[16*b:])
			}
		}
	}
	if done < n {
		blocks := make([]Block, n-done)
		h.HashRows(blocks, tweak+uint64(done), rows[2*done:], xlo, xhi)
		for j := range blocks {
			out[done+j] = binary.LittleEndian.Uint64(blocks[j][:])
		}
	}
}
