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

// sparseFailure returns the three per-round failure bounds for degree k and
// threshold t: some client keeps fewer than t surviving neighbors; some
// client has 2t-k or more corrupt neighbors (then a server that lies about
// who dropped out can collect t shares of both of that client's secrets:
// t-c honest neighbors told "dropped" and t-c others told "counted", plus
// the c corrupt ones, fit among its k neighbors; 2t-k <= t, so this also
// covers t corrupt neighbors reconstructing alone); the honest survivors
// are disconnected (two runs of k/2 removed clients on the ring).
func sparseFailure(n, k, t int, drop, corrupt float64) (pDrop, pSec, pConn float64) {
	pDrop = float64(n) * (1 - binomTailGE(k, t, 1-drop))
	pSec = float64(n) * binomTailGE(k, 2*t-k, corrupt)
	pConn = float64(n) * math.Pow(min(drop+corrupt, 1), float64(k/2))
	return
}

func failureLog2(n, k, t int, drop, corrupt float64) float64 {
	a, b, c := sparseFailure(n, k, t, drop, corrupt)
	return math.Log2(min(a+b+c, 1))
}

// sparseThreshold returns the smallest t > k/2 with P[some client has
// >= 2t-k corrupt neighbors] <= 2^-σ (the malicious-server bound of
// [sparseFailure]), or k.
func sparseThreshold(k int, corrupt, sigma float64, n int) int {
	eps := math.Exp2(-sigma) / 3
	// tail = P[Bin(k, corrupt) >= 2t-k], accumulated from the top: the
	// smallest t meeting the bound is found in one pass over 2t-k.
	tail, t := 0.0, k
	for c := k; c >= 1; c-- {
		tail += math.Exp(logBinomPMF(k, c, corrupt))
		if float64(n)*min(tail, 1) > eps {
			break
		}
		if (k+c)%2 == 0 {
			t = (k + c) / 2
		}
	}
	return t
}

// sparseParams returns the smallest even degree k < n-1 and a threshold t
// (userT if non-zero) meeting the failure target, or ok == false.
func sparseParams(n int, drop, corrupt, sigma float64, userT int) (k, t int, ok bool) {
	eps := math.Exp2(-sigma) / 3
	for k = 2; k < n-1; k += 2 {
		t = userT
		if t == 0 {
			t = sparseThreshold(k, corrupt, sigma, n)
		}
		if t > k || 2*t <= k {
			continue
		}
		a, b, c := sparseFailure(n, k, t, drop, corrupt)
		if a <= eps && b <= eps && c <= eps {
			return k, t, true
		}
	}
	return 0, 0, false
}
