// Package webhooktest sends signed webhook deliveries the way forges do,
// so that users of webdeploy (and of any receiver) can test their hooks
// without a forge: build a push payload, sign it for a provider, post it.
//
//	body := webhooktest.GitHubPush(webhooktest.Push{Ref: "refs/heads/main", After: sha, Repository: "me/site"})
//	req, _ := webhooktest.NewRequest(ctx, url, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: secret}, "push", body)
//	resp, _ := http.DefaultClient.Do(req)
//
// For tests of a whole deploy it also has a bare git repository to push to
// (NewRepo) and a private nginx serving a directory (Nginx).
package webhooktest
