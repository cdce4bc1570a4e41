//go:build !amd64 || purego

package ot

func aesEnc8(xk *[176]byte, dst, src *[128]byte) { panic("ot: aesEnc8 without AES-NI") }

const haveAES8 = false
