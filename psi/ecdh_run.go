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
// Every batch is answered (by its evaluation or a 5-byte ackMsg), and a party
// has at most Config.Window batches unanswered, so memory in flight is
// bounded whatever the set sizes.
type ecdhEngine struct{}

// learnsMembers says whether the receiver learns which items match.
func learnsMembers(m Mode) bool { return m == Intersection || m == Join }

func batches(n, bs int) int { return (n + bs - 1) / bs }

func batchRange(k, bs, n int) (int, int) { return k * bs, min((k+1)*bs, n) }

func (ecdhEngine) receiver(ctx context.Context, conn transport.Conn, in *receiverInput, peer *helloMsg, o Config) (*Result, error) {
	c := &stepConn{conn: conn, role: roleReceiver}
	r, err := newECDHReceiver(*in, o)
	if err != nil {
		return nil, err
	}
	if err := r.Start(peer); err != nil {
		return nil, c.wrap("hello", err)
	}
	members := learnsMembers(o.Mode)
	err = pipeline(ctx, r.BlindBatches(), o.Window,
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
	if err != nil {
		return nil, err
	}
	for r.StreamPending() {
		raw, err := c.recvRaw(ctx, "stream")
		if err != nil {
			return nil, err
		}
		m, err := decodeMessage(raw)
		if err != nil {
			return nil, c.wrap("stream", err)
		}
		ack, err := r.HandleStream(ctx, m)
		if err != nil {
			return nil, c.wrap("stream", err)
		}
		if err := c.send(ctx, "stream", ack); err != nil {
			return nil, err
		}
	}
	if o.Mode == Sum {
		req, err := r.DecryptRequest()
		if err != nil {
			return nil, c.wrap("decrypt", err)
		}
		if err := c.send(ctx, "decrypt", req); err != nil {
			return nil, err
		}
		var share sumShare
		if err := c.recv(ctx, "decrypt", &share); err != nil {
			return nil, err
		}
		if err := r.Decrypt(ctx, &share); err != nil {
			return nil, c.wrap("decrypt", err)
		}
	}
	res, err := r.Result()
	if err != nil {
		return nil, c.wrap("result", err)
	}
	if o.RevealToBoth {
		m, err := r.Reveal()
		if err != nil {
			return nil, c.wrap("reveal", err)
		}
		if err := c.send(ctx, "reveal", m); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (ecdhEngine) sender(ctx context.Context, conn transport.Conn, in *senderInput, peer *helloMsg, o Config) (*Result, error) {
	c := &stepConn{conn: conn, role: roleSender}
	s, err := newECDHSender(in, o)
	if err != nil {
		return nil, err
	}
	if err := s.Start(peer); err != nil {
		return nil, c.wrap("hello", err)
	}
	for s.EvaluationsPending() {
		var pb pointBatch
		if err := c.recv(ctx, "evaluate", &pb); err != nil {
			return nil, err
		}
		out, err := s.Evaluate(ctx, &pb)
		if err != nil {
			return nil, c.wrap("evaluate", err)
		}
		if err := c.send(ctx, "evaluate", out); err != nil {
			return nil, err
		}
	}
	err = pipeline(ctx, s.StreamBatches(), o.Window,
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
	if err != nil {
		return nil, err
	}
	if o.Mode == Sum {
		var req sumRequest
		if err := c.recv(ctx, "decrypt", &req); err != nil {
			return nil, err
		}
		share, err := s.DecryptShare(&req)
		if err != nil {
			return nil, c.wrap("decrypt", err)
		}
		if err := c.send(ctx, "decrypt", share); err != nil {
			return nil, err
		}
	}
	if o.RevealToBoth {
		raw, err := c.recvRaw(ctx, "reveal")
		if err != nil {
			return nil, err
		}
		m, err := decodeMessage(raw)
		if err == nil {
			err = s.HandleReveal(m)
		}
		if err != nil {
			return nil, c.wrap("reveal", err)
		}
	}
	res, err := s.Result()
	if err != nil {
		return nil, c.wrap("result", err)
	}
	return res, nil
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
	default:
		return nil, fmt.Errorf("%w: unknown message kind %d", ErrMalformed, b[0])
	}
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return m, nil
}
