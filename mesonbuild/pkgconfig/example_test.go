package pkgconfig_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hostkit-dev/hostkit/mesonbuild/pkgconfig"
)

// A client over a directory of .pc files: flags come back in pkgconf's
// order, de-duplicated, with system directories filtered.
func Example() {
	dir, _ := os.MkdirTemp("", "pc")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "base.pc"), []byte(`prefix=/opt/base
Name: base
Description: a base library
Version: 1.2.0
Libs: -L${prefix}/lib -lbase -lm
Cflags: -I${prefix}/include
`), 0o644)
	os.WriteFile(filepath.Join(dir, "app.pc"), []byte(`prefix=/usr
Name: app
Description: uses base
Version: 0.9
Requires: base >= 1.0
Libs: -L${prefix}/lib -lapp -lm
Cflags: -I${prefix}/include/app -DAPP
`), 0o644)

	c, err := pkgconfig.New(pkgconfig.Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	if err != nil {
		log.Fatal(err)
	}
	cflags, err := c.Cflags("app")
	if err != nil {
		log.Fatal(err)
	}
	libs, err := c.Libs("app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", cflags.String())
	fmt.Println(libs.Strings())
	_, err = c.Cflags("app >= 1.0")
	fmt.Println(err != nil)
	// Output:
	// "-I/usr/include/app -DAPP -I/opt/base/include "
	// [-lapp -L/opt/base/lib -lbase -lm]
	// true
}

// Versions compare as pkgconf's rpmvercmp does.
func ExampleCompareVersions() {
	fmt.Println(pkgconfig.CompareVersions("1.0~rc1", "1.0"))
	fmt.Println(pkgconfig.CompareVersions("1.10", "1.9"))
	fmt.Println(pkgconfig.CompareVersions("1.0a", "1.0A"))
	fmt.Println(pkgconfig.CompareVersions("1.b", "1.5"))
	// Output:
	// -1
	// 1
	// 0
	// -1
}

// Dependency lists parse with pkgconf's rules.
func ExampleParseDependencies() {
	for _, d := range pkgconfig.ParseDependencies("glib-2.0 >= 2.50, zlib gio-2.0") {
		fmt.Println(d)
	}
	// Output:
	// glib-2.0 >= 2.50
	// zlib
	// gio-2.0
}

// Cflags and Libs values split like shell words and print escaped again.
func ExampleParseFragments() {
	fs, err := pkgconfig.ParseFragments(`-DNAME="a b" -I/inc -framework Cocoa`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", fs.String())
	fmt.Printf("%q\n", fs.Strings())
	// Output:
	// "-DNAME=a\\ b -I/inc -framework Cocoa "
	// ["-DNAME=a b" "-I/inc" "-framework" "Cocoa"]
}
