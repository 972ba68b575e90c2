package acmetest_test

import (
	"context"
	"testing"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// A test of your own code against a real CA: Pebble validates HTTP-01
// against an in-memory solver served on its HTTP port.
func ExampleStartPebble() {
	// In a real test this is the *testing.T of the test function.
	var t testing.TB = &testing.T{}
	ctx := context.Background()
	port := acmetest.FreePort(t)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: port})
	solver := acmeutil.NewHTTPSolver(nil)
	// ... serve solver on 127.0.0.1:port ...
	client, err := acmeutil.NewClient(ctx, acmeutil.Config{
		DirectoryURL: peb.DirectoryURL, HTTPClient: peb.HTTPClient(), AgreeTOS: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Issue(ctx, acmeutil.IssueRequest{Domains: []string{"test.example.com"}, Solvers: []acmeutil.Solver{solver}})
	if err != nil {
		t.Fatal(err)
	}
}
