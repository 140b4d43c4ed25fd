// Command compose-config loads Compose files the way `docker compose config` does, with the library
// docker compose itself uses (github.com/compose-spec/compose-go/v2): the Compose Spec schema,
// interpolation, normalisation, path resolution and the consistency checks (services, networks,
// volumes and depends_on refer to things that exist; container names are unique). `npm run lint` runs
// it through scripts/compose-config.mjs, since CI has no Docker engine or compose plugin.
//
//	go run . [--dir DIR] [--print] [--env-example] [--os-env=false] [--profile NAME]... FILE...
//
// FILEs are relative to DIR (default: the current directory; `go run` runs in this module's folder).
// Each FILE is loaded as its own project (`docker compose -f FILE config`), FILE's folder being the
// project directory. Interpolation reads the process environment and FILE's folder's .env, as docker
// compose does, unless:
//
//	--env-example   read FILE's sibling .env.example (if there is one) instead of .env. Keys it lists
//	                with a blank value (the secrets a deployer has to fill in) count as set, so every
//	                ${VAR:?…} that FILE requires must be listed there, or the load fails.
//	--os-env=false  leave the process environment out, so a variable set in CI can't hide one that
//	                .env.example is missing.
//	--profile NAME  enable a profile (repeatable, "*" for all), like docker compose's --profile.
//	--print         print the normalised YAML (what `docker compose config` prints); otherwise
//	                print `ok FILE`.
//
// Any error is printed as `FILE: error`, and the exit status is 1.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/template"
)

// The value a key that .env.example leaves blank gets for the check.
const blankExampleValue = "example"

type profiles []string

func (p *profiles) String() string     { return strings.Join(*p, ",") }
func (p *profiles) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	printYAML := flag.Bool("print", false, "print the normalised YAML instead of `ok FILE`")
	envExample := flag.Bool("env-example", false, "interpolate with FILE's sibling .env.example instead of .env")
	osEnv := flag.Bool("os-env", true, "interpolate with the process environment too (docker compose does)")
	dir := flag.String("dir", "", "change to `DIR` first, so that FILEs are relative to it")
	var enabled profiles
	flag.Var(&enabled, "profile", "enable a profile (repeatable, \"*\" for all)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: compose-config [flags] FILE...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *dir != "" {
		if err := os.Chdir(*dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}

	failed := false
	for i, file := range flag.Args() {
		out, err := config(context.Background(), file, *envExample, *osEnv, enabled)
		if err != nil {
			failed = true
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			continue
		}
		if !*printYAML {
			fmt.Printf("ok %s\n", file)
			continue
		}
		if i > 0 {
			fmt.Println("---")
		}
		os.Stdout.Write(out)
	}
	if failed {
		os.Exit(1)
	}
}

// config loads file as `docker compose -f file config` does (cmd/compose/config.go and
// pkg/compose/loader.go in docker/compose) and returns the YAML that command prints.
func config(ctx context.Context, file string, envExample, osEnv bool, enabled []string) ([]byte, error) {
	opts := []cli.ProjectOptionsFn{
		// `docker compose config`'s own options, all at their defaults.
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithDiscardEnvFile,
		// The project directory is FILE's folder (no --project-directory).
		cli.WithWorkingDirectory(""),
	}
	if osEnv {
		opts = append(opts, cli.WithOsEnv)
		if _, set := os.LookupEnv("PWD"); !set {
			if pwd, err := os.Getwd(); err == nil {
				opts = append(opts, cli.WithEnv([]string{"PWD=" + pwd}))
			}
		}
	}
	if envExample {
		opts = append(opts, withEnvExample)
	} else {
		opts = append(opts, cli.WithEnvFiles(), cli.WithDotEnv)
	}
	opts = append(opts, cli.WithDefaultProfiles(enabled...), cli.WithName(""))

	options, err := cli.NewProjectOptions([]string{file}, opts...)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(ctx)
	if err != nil {
		var missing *template.MissingRequiredError
		if envExample && errors.As(err, &missing) {
			example := filepath.Join(filepath.Dir(file), ".env.example")
			return nil, fmt.Errorf("%w\n(list every variable the file requires in %s; a blank value will do)", err, example)
		}
		return nil, err
	}
	if project.Name == "" {
		return nil, errors.New("project name can't be empty")
	}
	// What docker compose does next: no service selected, so every enabled service and only the
	// networks and volumes they use; env_file read into environment; container names unique.
	if project, err = project.WithServicesEnabled(); err != nil {
		return nil, err
	}
	if project, err = project.WithSelectedServices(nil); err != nil {
		return nil, err
	}
	project = project.WithoutUnnecessaryResources()
	if project, err = project.WithServicesEnvironmentResolved(true); err != nil {
		return nil, err
	}
	if err = project.CheckContainerNameUnicity(); err != nil {
		return nil, err
	}
	out, err := project.MarshalYAML()
	if err != nil {
		return nil, err
	}
	// docker compose escapes the interpolated output so that it can be loaded again.
	return bytes.ReplaceAll(out, []byte("$"), []byte("$$")), nil
}

// withEnvExample reads the compose file's sibling .env.example into the interpolation environment,
// below the process environment (like .env). Blank values count as set.
func withEnvExample(o *cli.ProjectOptions) error {
	dir, err := o.GetWorkingDir()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ".env.example")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	env, err := dotenv.GetEnvFromFile(o.Environment, []string{path})
	if err != nil {
		return err
	}
	for k, v := range env {
		if _, set := o.Environment[k]; set {
			continue
		}
		if v == "" {
			v = blankExampleValue
		}
		o.Environment[k] = v
	}
	return nil
}
