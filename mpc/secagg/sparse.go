package secagg

import "math"

// logBinomPMF returns ln P[Bin(k, p) = i].
func logBinomPMF(k, i int, p float64) float64 {
	lk, _ := math.Lgamma(float64(k + 1))
	li, _ := math.Lgamma(float64(i + 1))
	lki, _ := math.Lgamma(float64(k - i + 1))
	var lp, lq float64
	switch {
	case p == 0:
		if i > 0 {
			return math.Inf(-1)
		}
	case i > 0:
		lp = float64(i) * math.Log(p)
	}
	switch {
	case p == 1:
		if i < k {
			return math.Inf(-1)
		}
	case k-i > 0:
		lq = float64(k-i) * math.Log1p(-p)
	}
	return lk - li - lki + lp + lq
}

// binomTailGE returns P[Bin(k, p) >= t].
func binomTailGE(k, t int, p float64) float64 {
	s := 0.0
	for i := max(t, 0); i <= k; i++ {
		s += math.Exp(logBinomPMF(k, i, p))
	}
	return min(s, 1)
}

// binomTailLT returns P[Bin(k, p) < t], summed directly (not as 1 minus
// the upper tail, which cancels to 0 below about 2^-53).
func binomTailLT(k, t int, p float64) float64 {
	s := 0.0
	for i := 0; i < min(t, k+1); i++ {
		s += math.Exp(logBinomPMF(k, i, p))
	}
	return min(s, 1)
}

// sparseFailure returns the three per-round failure bounds for degree k and
// threshold t: some client keeps fewer than t surviving neighbors; some
// client has 2t-k-1 or more corrupt neighbors; the honest survivors are
// disconnected (two runs of k/2 removed clients on the ring).
//
// The second is the malicious-server bound. A server that lies about who
// dropped out needs, to expose client v, t shares of v's seed and, for each
// neighbor a of v, t shares of a's mask key from neighbors of a that were
// told a dropped, while a itself answers only with t signers (itself and
// t-1 neighbors) on a counted set that contains it. With c corrupt
// neighbors of a (they sign and hand over anything) and v's signature on
// a's set, that takes (t-2-c) + (t-c) honest neighbors of a besides v, so
// 2t-c-1 <= k; and for a's seed and key both (the split of the review),
// 2t-c <= k. Either needs some client with at least 2t-k-1 corrupt
// neighbors (2t-k-1 < t also covers t corrupt neighbors reconstructing
// alone).
func sparseFailure(n, k, t int, drop, corrupt float64) (pDrop, pSec, pConn float64) {
	pDrop = float64(n) * binomTailLT(k, t, 1-drop)
	pSec = float64(n) * binomTailGE(k, 2*t-k-1, corrupt)
	pConn = float64(n) * math.Pow(min(drop+corrupt, 1), float64(k/2))
	return
}

// failureLog2 returns log2 of the privacy bound (pSec + pConn) and of the
// abort bound (pDrop) of [sparseFailure].
func failureLog2(n, k, t int, drop, corrupt float64) (privacy, abort float64) {
	pDrop, pSec, pConn := sparseFailure(n, k, t, drop, corrupt)
	return math.Log2(min(pSec+pConn, 1)), math.Log2(min(pDrop, 1))
}

// privacyEps is the share of the privacy target 2^-σ given to each of the
// two privacy terms of [sparseFailure] (pSec and pConn).
func privacyEps(sigma float64) float64 { return math.Exp2(-sigma) / 2 }

// sparseThreshold returns the smallest t > k/2 with P[some client has
// >= 2t-k-1 corrupt neighbors] <= 2^-σ/2 (the malicious-server bound of
// [sparseFailure]), or k.
func sparseThreshold(k int, corrupt, sigma float64, n int) int {
	eps := privacyEps(sigma)
	// tail = P[Bin(k, corrupt) >= c], accumulated from the top: the
	// smallest t meeting the bound, t = ceil((k+1+c)/2), is found in one
	// pass over c = 2t-k-1.
	tail, t := 0.0, k
	for c := k; c >= 1; c-- {
		tail += math.Exp(logBinomPMF(k, c, corrupt))
		if float64(n)*min(tail, 1) > eps {
			break
		}
		if (k+1+c)%2 == 0 {
			t = min(t, (k+1+c)/2)
		}
	}
	return t
}

// sparseParams returns the smallest even degree k < n-1 and a threshold t
// (userT if non-zero, else the smallest meeting the privacy target) such
// that privacy fails with probability at most 2^-sigma (each of pSec and
// pConn at most 2^-sigma/2) and the round aborts with probability at most
// 2^-eta (pDrop), or ok == false. eta only decides how large k must be for
// the abort bound: the privacy terms are checked against sigma whatever
// eta is.
func sparseParams(n int, drop, corrupt, sigma, eta float64, userT int) (k, t int, ok bool) {
	epsPriv, epsAbort := privacyEps(sigma), math.Exp2(-eta)
	for k = 2; k < n-1; k += 2 {
		t = userT
		if t == 0 {
			t = sparseThreshold(k, corrupt, sigma, n)
		}
		if t > k || 2*t <= k {
			continue
		}
		pDrop, pSec, pConn := sparseFailure(n, k, t, drop, corrupt)
		if pSec <= epsPriv && pConn <= epsPriv && pDrop <= epsAbort {
			return k, t, true
		}
	}
	return 0, 0, false
}
