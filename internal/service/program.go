package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	kservice "github.com/kardianos/service"
)

// Program is the work of the service: Start launches run with a context that Stop cancels,
// and Stop returns once run has (serve has then closed its listeners and synced its journal).
// run may also end on its own (a port it cannot bind); Done says so.
type Program struct {
	run         func(ctx context.Context) error
	stopTimeout time.Duration

	mu       sync.Mutex
	cancel   context.CancelFunc
	stopping bool
	done     chan struct{}
	err      error
}

// NewProgram is the Program that runs run, and waits up to stopTimeout for it on Stop.
func NewProgram(run func(ctx context.Context) error, stopTimeout time.Duration) *Program {
	return &Program{run: run, stopTimeout: stopTimeout, done: make(chan struct{})}
}

// Start launches run; it does not wait for it (the service manager waits on Start).
func (p *Program) Start(kservice.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.mu.Lock()
	p.cancel = cancel
	p.mu.Unlock()
	go func() {
		defer close(p.done)
		err := p.run(ctx)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
	}()
	return nil
}

// Stop cancels run's context and waits for it to return.
func (p *Program) Stop(kservice.Service) error {
	p.mu.Lock()
	p.stopping = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel == nil {
		return nil // never started
	}
	cancel()
	select {
	case <-p.done:
		return nil
	case <-time.After(p.stopTimeout):
		return fmt.Errorf("serve did not stop within %s of the stop request", p.stopTimeout)
	}
}

// Done is closed when run has returned.
func (p *Program) Done() <-chan struct{} { return p.done }

// Err is what run returned (valid once Done is closed).
func (p *Program) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stopping says whether Stop was asked for, so an end of run is the stop and not a failure.
func (p *Program) Stopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}
