package acmeutil

import (
	"errors"
	"strings"
	"testing"
)

func TestNginxRender(t *testing.T) {
	s := NginxSite{ServerNames: []string{"example.com", "www.example.com"}, Webroot: "/var/www/acme",
		CertFile: "/etc/ssl/example/fullchain.pem", KeyFile: "/etc/ssl/example/key.pem", HTTPSPort: 8443}
	h, err := s.RenderHTTPOnly()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 80;", "listen [::]:80;", "server_name example.com www.example.com;",
		"location ^~ /.well-known/acme-challenge/ {", "root /var/www/acme;", "return 301 https://$host:8443$request_uri;"} {
		if !strings.Contains(string(h), want) {
			t.Errorf("http-only config lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(string(h), "ssl_certificate") {
		t.Error("http-only config refers to certificate files")
	}
	full, err := s.RenderHTTPS()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 443 ssl;", "ssl_certificate /etc/ssl/example/fullchain.pem;", "ssl_certificate_key /etc/ssl/example/key.pem;", "return 301"} {
		if !strings.Contains(string(full), want) {
			t.Errorf("https config lacks %q:\n%s", want, full)
		}
	}
}

func TestNginxRenderRejectsInjection(t *testing.T) {
	base := NginxSite{ServerNames: []string{"example.com"}, Webroot: "/var/www", CertFile: "/c.pem", KeyFile: "/k.pem"}
	for name, edit := range map[string]func(*NginxSite){
		"webroot with ;":     func(s *NginxSite) { s.Webroot = "/var/www; include /etc/shadow" },
		"webroot relative":   func(s *NginxSite) { s.Webroot = "www" },
		"cert with brace":    func(s *NginxSite) { s.CertFile = "/c.pem}" },
		"key with space":     func(s *NginxSite) { s.KeyFile = "/k .pem" },
		"key with newline":   func(s *NginxSite) { s.KeyFile = "/k\n.pem" },
		"server name":        func(s *NginxSite) { s.ServerNames = []string{"example.com;"} },
		"no names":           func(s *NginxSite) { s.ServerNames = nil },
		"listen injection":   func(s *NginxSite) { s.HTTPListen = []string{"80 default_server; return 200"} },
		"listen port":        func(s *NginxSite) { s.HTTPSListen = []string{"70000"} },
		"root with variable": func(s *NginxSite) { s.Root = "/srv/$host" },
	} {
		s := base
		edit(&s)
		if _, err := s.RenderHTTPS(); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrInvalidConfig) && !errors.Is(err, ErrInvalidName) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
