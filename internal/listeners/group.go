package listeners

import (
	"context"
	"errors"
	"sync"
)

// Group is every listener of one role member, bound together.
type Group struct {
	Listeners []Listener
}

// Bind binds every spec, or none: when one fails, those already bound are closed and the
// error names the one that failed.
func Bind(specs []Spec, env Env) (*Group, error) {
	g := &Group{}
	for _, s := range specs {
		l, err := New(s, env)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.Listeners = append(g.Listeners, l)
	}
	return g, nil
}

// Serve runs every listener until ctx is done, lets each drain (HTTP requests in flight finish)
// and waits for all of them. It returns the first listener error that was not caused by closing;
// such an error stops the other listeners too.
func (g *Group) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(g.Listeners))
	for _, l := range g.Listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Serve(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	<-ctx.Done()
	wg.Wait() // every Serve stops itself when ctx is done
	g.Close()
	close(errs)
	return <-errs
}

// Close closes every listener.
func (g *Group) Close() error {
	var errs []error
	for _, l := range g.Listeners {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}
