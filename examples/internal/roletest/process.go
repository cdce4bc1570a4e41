package roletest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// Main is an example's TestMain for tests that run its parties as separate
// processes of the test binary: started with env=1 (see [Start]), the
// binary is the command and exits with run's code; otherwise it runs the
// tests.
func Main(m *testing.M, env string, run func(args []string) int) {
	if os.Getenv(env) == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// Process is one party's process: the test binary run as the command.
type Process struct {
	Cmd            *exec.Cmd
	Stdout, Stderr bytes.Buffer
}

// Command returns, not started, the test binary run as the command (env
// set to 1, see [Main]) with args, its output going to Stdout and Stderr.
func Command(ctx context.Context, env string, args ...string) *Process {
	p := &Process{Cmd: exec.CommandContext(ctx, os.Args[0], args...)}
	p.Cmd.Env = append(os.Environ(), env+"=1")
	p.Cmd.Stdout, p.Cmd.Stderr = &p.Stdout, &p.Stderr
	return p
}

// Start starts [Command](ctx, env, args...).
func Start(t testing.TB, ctx context.Context, env string, args ...string) *Process {
	t.Helper()
	p := Command(ctx, env, args...)
	require.NoError(t, p.Cmd.Start())
	return p
}

// Wait waits for the process to end and returns its exit code, -1 when it
// was killed.
func (p *Process) Wait(t testing.TB) int {
	t.Helper()
	err := p.Cmd.Wait()
	if p.Cmd.ProcessState != nil {
		return p.Cmd.ProcessState.ExitCode()
	}
	require.NoError(t, err)
	return 0
}
