//go:build !unix

package webdeploy

import "context"

// lockFile is the name a unix Publisher locks; unused here.
const lockFile = ".hostkit-publish.lock"

// lockWebroot is a no-op where flock(2) does not exist: run one publisher
// process per webroot there.
func (p *Publisher) lockWebroot(ctx context.Context) (unlock func(), err error) {
	return func() {}, ctx.Err()
}
