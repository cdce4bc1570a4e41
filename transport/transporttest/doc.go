// Package transporttest helps test code that talks through [transport]: a
// conformance suite that any [transport.Conn] implementation must pass,
// and fault-injecting wrappers that make a working connection fail the way
// real peers fail.
//
// # Conformance
//
// [transport.Conn] is Veil's extension point: a user who adapts Veil to
// another transport (HTTP, a message queue) implements it and runs
// [TestConn] on the adapter, and [TestMesh] on the meshes built from it,
// in the adapter's own tests. The transport package runs the same suite on
// its in-memory and TLS connections.
//
// # Faults
//
// A protocol test simulates a dropout by wrapping the dropping party's
// connections, never through a knob in the protocol's API:
//
//	meshes, _ := transport.NewMemStar(4, transport.Options{})
//	// Spoke 3 sends its first two messages to the hub, then crashes.
//	meshes[3] = transporttest.WrapMesh(meshes[3], func(_ int, c transport.Conn) transport.Conn {
//		return transporttest.CloseAfter(c, 2)
//	})
//
// [CloseAfter], [SilentAfter] and [StallAfter] make a party crash, go
// silent or hang after k messages; [Truncate], [Corrupt] and [FlipBit]
// alter one message; [Delay] slows every send; [WrapMesh] applies any of
// them to a party's links. A wrapper that injects no fault (Delay(c, 0))
// keeps the [TestConn] contract.
package transporttest
