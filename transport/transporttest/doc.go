// Package transporttest helps test code that talks through [transport]: a
// conformance suite that any [transport.Conn] implementation must pass, and
// fault-injecting wrappers that make a working connection fail the way real
// peers fail.
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
// A user who adapts Veil to another transport (HTTP, a message queue)
// implements [transport.Conn] and runs the conformance suite on it.
package transporttest
