// Package webdeploy turns a git push into a live website with nothing but
// a webhook: it receives and verifies forge deliveries, matches them
// against per-site rules, queues and coalesces builds (one at a time per
// site), builds with the real git and the site's own build command, and
// publishes each build as a release that goes live by an atomic symlink
// switch.
//
// It replaces the usual adnanh/webhook hooks.json plus a rebuild shell
// script, which runs every trigger in parallel on one checkout, reads
// bodies without limit, has no timeouts and copies over the live webroot.
//
// # Receiving
//
// Receiver is an http.Handler serving each configured hook at
// /hooks/<id>. Verifier checks GitHub (X-Hub-Signature-256; SHA-1 only if
// allowed), GitLab (X-Gitlab-Token), Gitea/Forgejo/Gogs (hex HMAC-SHA256),
// Standard Webhooks (webhook-id/-timestamp/-signature with a replay
// window) and a generic HMAC header, always in constant time. A hook with
// no secret refuses to start unless allowed. Bodies are limited while
// being read (25 MiB by default, GitHub's cap); pings are answered;
// delivery ids are remembered (bounded) so a redelivery does not deploy
// twice; accepted pushes are answered 202 at once and built in the
// background. A push matching several sites whose enqueue fails part way
// is answered 503, and the forge's retry skips the sites already queued.
//
// Only Standard Webhooks signs its delivery id: with the other forges a
// captured push can be sent again under a new id. So the Deployer refuses
// (StatusRefused) a commit that is an ancestor of the live one unless the
// push was forced, the push moved the ref from the live commit itself
// (its "before"; GitLab, Gitea, Forgejo and Gogs send no "forced" flag), or
// the site sets AllowRewind: a branch only moves back with a forced push.
//
// # Events and rules
//
// ParsePush reads a provider-neutral PushEvent from GitHub-layout (GitHub,
// Gitea, Forgejo, Gogs) and GitLab payloads, validating the ref
// (ValidateRef) and commit. A Rule matches provider, repository, event and
// branch or tag globs; deletions are ignored unless a rule asks for them.
// LoadConfig reads a JSON configuration and names the key of any mistake.
//
// # Deploying
//
// Deployer keeps one queue per site. A push arriving while a deploy runs
// replaces any push already waiting, so a burst of pushes costs at most
// one more build, of the newest commit, and an older commit is never
// published after a newer one. Each deploy fetches and checks out the
// exact commit in a cached clone (Source; credentials from the
// configuration only, never from the payload), runs the build (an argv,
// or a shell script only when configured) with DEPLOY_* variables, and
// publishes. Deploys have a timeout, are canceled on shutdown after a
// grace period, log to <state>/sites/<site>/logs (rotated), and are
// accounted in a status (SiteStatus, JSON) and history.jsonl.
//
// # Publishing
//
// Publisher copies the build output into <webroot>/releases/<time>-<sha>/,
// fsyncs it, renames it into place and points <webroot>/current at it with
// a new symlink renamed over the old one. Serve <webroot>/current. Symlinks
// in the output are kept only when they cannot lead out of the release
// (LinkStaysInside). Old releases are pruned beyond Keep; Rollback points
// current at any kept release. A crash at any point leaves the previous
// release live and whole; the debris is removed by the next publish.
//
// The subpackage webhooktest sends signed deliveries like a forge does,
// for tests. The program examples/webhookd is a complete server.
package webdeploy
