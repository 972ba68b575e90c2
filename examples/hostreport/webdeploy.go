package main

import "context"

func init() { register(60, "webdeploy", "Push-to-deploy", reportWebdeploy) }

// reportWebdeploy is a placeholder until issue #9 lands the webdeploy package.
func reportWebdeploy(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #9): this section will show whether git and a webhook config are present, and the health of the publish layout of a given webroot")
}
