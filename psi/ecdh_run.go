package psi

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/transport"
)

// ecdhEngine drives ecdhReceiver and ecdhSender over a transport.Conn. With
// H the hash to the group, a the sender's key and b the receiver's:
//
// Intersection and Join (the receiver learns which of its items match):
//
//	R -> S  H(y)^b                     32 B per receiver item, in batches
//	S -> R  H(y)^(ab)                  32 B per receiver item, same order
//	        R unblinds: F(y) = H(y)^a, tag T(F(y))
//	S -> R  T(H(x)^a) [, seal_F(x)(payload)]   TagLen B (+ 20 B + payload) per sender item, shuffled
//	R -> S  (RevealToBoth) bitmap of the sender's items that matched
//
// Cardinality and Sum (the receiver learns only a count and a sum):
//
//	R -> S  H(y)^b                     32 B per receiver item
//	S -> R  T(H(y)^(ab)), all of them shuffled together   TagLen B per receiver item
//	S -> R  H(x)^a [, ElGamal_S(value)]   32 B (+ 64 B) per sender item, shuffled
//	        R compares T(H(x)^(ab)) with the tags and counts (and adds ciphertexts)
//	R -> S  C1 + t*G;  S -> R s*(C1 + t*G), s*G;  R solves a discrete log of the sum
//
// Sum with LatticeSum: the stream is Cardinality's (no ElGamal), then
//
//	S -> R  fresh RLWE public key (he.SubsetSumKey)
//	S -> R  the values in stream order, encrypted, 8192 per chunk
//	        R multiplies each chunk by its 0/1 matches and adds them up
//	R -> S  one LWE sample of sum + mask, rerandomised and flooded
//	S -> R  its decryption, sum + mask (+ SumNoise) mod 2^64
//
// Every batch is answered (by its evaluation or a 5-byte ackMsg), and an
// honest party has at most Config.Window batches unanswered, so memory in
// flight is bounded whatever the set sizes; what a dishonest peer sends
// ahead is bounded by the transport's receive queue. The lattice chunks
// are not acknowledged (the same transport bound holds).
type ecdhEngine struct{}

// learnsMembers says whether the receiver learns which items match.
func learnsMembers(m Mode) bool { return m == Intersection || m == Join }

func batches(n, bs int) int { return (n + bs - 1) / bs }

func batchRange(k, bs, n int) (int, int) { return k * bs, min((k+1)*bs, n) }

func (ecdhEngine) receiver(ctx context.Context, conn transport.Conn, in *receiverInput, peer *helloMsg, o Config) (*Result, error) {
	r, err := newECDHReceiver(*in, o)
	if err != nil {
		return nil, err
	}
	st := &ecdhReceiverRun{c: &stepConn{conn: conn, role: roleReceiver}, r: r, o: o}
	if err := r.Start(peer); err != nil {
		return nil, st.c.wrap("hello", err)
	}
	if err := st.evaluate(ctx); err != nil {
		return nil, err
	}
	if err := st.stream(ctx); err != nil {
		return nil, err
	}
	if o.Mode == Sum {
		decrypt := st.decrypt
		if o.LatticeSum {
			decrypt = st.latticeDecrypt
		}
		if err := decrypt(ctx); err != nil {
			return nil, err
		}
	}
	res, err := r.Result()
	if err != nil {
		return nil, st.c.wrap("result", err)
	}
	if o.RevealToBoth {
		if err := st.reveal(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// ecdhReceiverRun drives an ecdhReceiver over a connection, one method per
// phase; each names its steps in errors.
type ecdhReceiverRun struct {
	c *stepConn
	r *ecdhReceiver
	o Config
}

// evaluate streams the blinded items and takes their evaluations (steps
// blind, evaluate, unblind), at most Window batches ahead.
func (st *ecdhReceiverRun) evaluate(ctx context.Context) error {
	c, r := st.c, st.r
	members := learnsMembers(st.o.Mode)
	return pipeline(ctx, r.BlindBatches(), st.o.Window,
		func(k int) error {
			pb, err := r.Blind(ctx, k)
			if err != nil {
				return c.wrap("blind", err)
			}
			return c.send(ctx, "blind", pb)
		},
		func(k int) error {
			if members {
				var ev pointBatch
				if err := c.recv(ctx, "evaluate", &ev); err != nil {
					return err
				}
				return c.check("unblind", r.Unblind(ctx, k, &ev))
			}
			var a ackMsg
			if err := c.recv(ctx, "evaluate", &a); err != nil {
				return err
			}
			return c.check("evaluate", r.EvaluationAck(k, &a))
		})
}

// stream takes the sender's stream and acknowledges each batch (step
// stream).
func (st *ecdhReceiverRun) stream(ctx context.Context) error {
	c, r := st.c, st.r
	for r.StreamPending() {
		raw, err := c.recvRaw(ctx, "stream")
		if err != nil {
			return err
		}
		m, err := decodeMessage(raw)
		if err != nil {
			return c.wrap("stream", err)
		}
		ack, err := r.HandleStream(ctx, m)
		if err != nil {
			return c.wrap("stream", err)
		}
		if err := c.send(ctx, "stream", ack); err != nil {
			return err
		}
	}
	return nil
}

// decrypt (Sum) has the sender decrypt the rerandomised sum (step
// decrypt).
func (st *ecdhReceiverRun) decrypt(ctx context.Context) error {
	c, r := st.c, st.r
	req, err := r.DecryptRequest()
	if err != nil {
		return c.wrap("decrypt", err)
	}
	if err := c.send(ctx, "decrypt", req); err != nil {
		return err
	}
	var share sumShare
	if err := c.recv(ctx, "decrypt", &share); err != nil {
		return err
	}
	return c.check("decrypt", r.Decrypt(ctx, &share))
}

// latticeDecrypt (Sum with LatticeSum) takes the sender's key and
// encrypted values, and has it decrypt the masked sum (step decrypt).
func (st *ecdhReceiverRun) latticeDecrypt(ctx context.Context) error {
	c, r := st.c, st.r
	key := latticeBlob{kind: kindLatticeKey}
	if err := c.recv(ctx, "decrypt", &key); err != nil {
		return err
	}
	if err := c.check("decrypt", r.LatticeKey(&key)); err != nil {
		return err
	}
	for r.LatticeChunksPending() {
		chunk := latticeBlob{kind: kindLatticeChunk}
		if err := c.recv(ctx, "decrypt", &chunk); err != nil {
			return err
		}
		if err := c.check("decrypt", r.LatticeChunk(&chunk)); err != nil {
			return err
		}
	}
	sample, err := r.LatticeSample()
	if err != nil {
		return c.wrap("decrypt", err)
	}
	if err := c.send(ctx, "decrypt", sample); err != nil {
		return err
	}
	var ans latticeAnswer
	if err := c.recv(ctx, "decrypt", &ans); err != nil {
		return err
	}
	return c.check("decrypt", r.LatticeResult(&ans))
}

// reveal (RevealToBoth) tells the sender the output (step reveal).
func (st *ecdhReceiverRun) reveal(ctx context.Context) error {
	m, err := st.r.Reveal()
	if err != nil {
		return st.c.wrap("reveal", err)
	}
	return st.c.send(ctx, "reveal", m)
}

func (ecdhEngine) sender(ctx context.Context, conn transport.Conn, in *senderInput, peer *helloMsg, o Config) (*Result, error) {
	s, err := newECDHSender(in, o)
	if err != nil {
		return nil, err
	}
	st := &ecdhSenderRun{c: &stepConn{conn: conn, role: roleSender}, s: s, o: o}
	if err := s.Start(peer); err != nil {
		return nil, st.c.wrap("hello", err)
	}
	if err := st.evaluate(ctx); err != nil {
		return nil, err
	}
	if err := st.stream(ctx); err != nil {
		return nil, err
	}
	if o.Mode == Sum {
		decrypt := st.decrypt
		if o.LatticeSum {
			decrypt = st.latticeDecrypt
		}
		if err := decrypt(ctx); err != nil {
			return nil, err
		}
	}
	if o.RevealToBoth {
		if err := st.reveal(ctx); err != nil {
			return nil, err
		}
	}
	res, err := s.Result()
	if err != nil {
		return nil, st.c.wrap("result", err)
	}
	return res, nil
}

// ecdhSenderRun drives an ecdhSender over a connection, one method per
// phase.
type ecdhSenderRun struct {
	c *stepConn
	s *ecdhSender
	o Config
}

// evaluate answers each batch of the receiver's blinded items (step
// evaluate).
func (st *ecdhSenderRun) evaluate(ctx context.Context) error {
	c, s := st.c, st.s
	for s.EvaluationsPending() {
		var pb pointBatch
		if err := c.recv(ctx, "evaluate", &pb); err != nil {
			return err
		}
		out, err := s.Evaluate(ctx, &pb)
		if err != nil {
			return c.wrap("evaluate", err)
		}
		if err := c.send(ctx, "evaluate", out); err != nil {
			return err
		}
	}
	return nil
}

// stream sends the sender's batches, at most Window unacknowledged (step
// stream).
func (st *ecdhSenderRun) stream(ctx context.Context) error {
	c, s := st.c, st.s
	return pipeline(ctx, s.StreamBatches(), st.o.Window,
		func(k int) error {
			m, err := s.StreamBatch(ctx, k)
			if err != nil {
				return c.wrap("stream", err)
			}
			return c.send(ctx, "stream", m)
		},
		func(k int) error {
			var a ackMsg
			if err := c.recv(ctx, "stream", &a); err != nil {
				return err
			}
			return c.check("stream", s.StreamAck(k, &a))
		})
}

// decrypt (Sum) answers the receiver's decryption request (step decrypt).
func (st *ecdhSenderRun) decrypt(ctx context.Context) error {
	var req sumRequest
	if err := st.c.recv(ctx, "decrypt", &req); err != nil {
		return err
	}
	share, err := st.s.DecryptShare(&req)
	if err != nil {
		return st.c.wrap("decrypt", err)
	}
	return st.c.send(ctx, "decrypt", share)
}

// latticeDecrypt (Sum with LatticeSum) sends the fresh public key and the
// values encrypted in stream order, and decrypts the receiver's one
// sample (step decrypt).
func (st *ecdhSenderRun) latticeDecrypt(ctx context.Context) error {
	c, s := st.c, st.s
	key, err := s.LatticeKey()
	if err != nil {
		return c.wrap("decrypt", err)
	}
	if err := c.send(ctx, "decrypt", key); err != nil {
		return err
	}
	for k := range s.LatticeChunks() {
		chunk, err := s.LatticeChunk(k)
		if err != nil {
			return c.wrap("decrypt", err)
		}
		if err := c.send(ctx, "decrypt", chunk); err != nil {
			return err
		}
	}
	sample := latticeBlob{kind: kindLatticeSample}
	if err := c.recv(ctx, "decrypt", &sample); err != nil {
		return err
	}
	ans, err := s.LatticeDecrypt(&sample)
	if err != nil {
		return c.wrap("decrypt", err)
	}
	return c.send(ctx, "decrypt", ans)
}

// reveal (RevealToBoth) takes the receiver's report (step reveal).
func (st *ecdhSenderRun) reveal(ctx context.Context) error {
	raw, err := st.c.recvRaw(ctx, "reveal")
	if err != nil {
		return err
	}
	m, err := decodeMessage(raw)
	if err == nil {
		err = st.s.HandleReveal(m)
	}
	return st.c.check("reveal", err)
}

// decodeMessage decodes any message of this package by its first byte.
func decodeMessage(b []byte) (message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	var m message
	switch b[0] {
	case kindHello:
		m = new(helloMsg)
	case kindPoints:
		m = new(pointBatch)
	case kindTags:
		m = new(tagBatch)
	case kindJoin:
		m = new(joinBatch)
	case kindSumItems:
		m = new(sumItemBatch)
	case kindAck:
		m = new(ackMsg)
	case kindMatches:
		m = new(matchesMsg)
	case kindSumRequest:
		m = new(sumRequest)
	case kindSumShare:
		m = new(sumShare)
	case kindOutcome:
		m = new(outcomeMsg)
	case kindLatticeKey, kindLatticeChunk, kindLatticeSample:
		m = &latticeBlob{kind: b[0]}
	case kindLatticeAnswer:
		m = new(latticeAnswer)
	default:
		return nil, fmt.Errorf("%w: unknown message kind %d", ErrMalformed, b[0])
	}
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return m, nil
}
