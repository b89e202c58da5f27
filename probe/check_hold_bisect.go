package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// staggered is one connection of a bisecting hold: idle for At, then proved.
type staggered struct {
	At time.Duration
	// Answered says the proof after At idle was answered; ClosedAt, when set, is when the other
	// side closed the connection during the idle wait; Err why the proof failed.
	Answered bool
	ClosedAt time.Duration
	Err      error
	open     Observation
	opened   bool
	// proved says a proof was sent (false on a bare connection: nothing to send).
	proved bool
}

// checkHoldBisect finds the idle cut-off of a path in one hold: it opens j.Bisect connections
// side by side, lets connection i idle for hold*i/n (the last for the hold less its margin),
// then proves each. The cut-off lies between the longest idle whose proof was answered and the
// shortest whose proof was not (or whose connection was closed), so n connections measure it to
// hold/n.
func checkHoldBisect(ctx context.Context, j *Job) Observation {
	n := j.Bisect
	conns := make([]staggered, n)
	var wg sync.WaitGroup
	for i := range conns {
		conns[i].At = j.Hold * time.Duration(i+1) / time.Duration(n)
		if i == n-1 {
			conns[i].At = j.Hold - holdMargin(j.Hold)
		}
		wg.Add(1)
		go func(s *staggered) {
			defer wg.Done()
			setup, cancel := context.WithTimeout(ctx, j.Timeout)
			h, o := openHeld(setup, j)
			cancel()
			s.open = o
			if h == nil {
				return
			}
			s.opened = true
			defer h.c.Close()
			held, err := idle(ctx, h, s.At)
			if err != nil {
				s.ClosedAt, s.Err = max(held, time.Millisecond), err
				return
			}
			if h.prove == nil {
				s.Answered = true // nothing to send: only a close tells
				return
			}
			s.proved = true
			proof, cancel := context.WithTimeout(ctx, j.Timeout)
			defer cancel()
			_, s.Err = h.prove(proof)
			s.Answered = s.Err == nil
		}(&conns[i])
	}
	wg.Wait()
	for _, s := range conns {
		if !s.opened {
			return s.open // the path or the service itself failed: judged as any check
		}
	}
	o := conns[0].open
	if ctx.Err() != nil {
		o.OK, o.Observed, o.Code = false, wire.State("interrupted"), wire.CodeError
		o.Detail += "; the bisecting hold was interrupted"
		return o
	}
	var lo, hi time.Duration // longest answered idle; shortest failed one (0: none)
	why := ""
	proved := false
	for _, s := range conns {
		proved = proved || s.proved
	}
	for _, s := range conns {
		switch {
		case s.ClosedAt > 0 && (hi == 0 || s.ClosedAt < hi):
			hi, why = s.ClosedAt, fmt.Sprintf("the other side closed a connection (%s) after %s idle", closeText(s.Err), secsText(s.ClosedAt))
		case s.ClosedAt == 0 && !s.Answered && (hi == 0 || s.At < hi):
			hi, why = s.At, fmt.Sprintf("the proof after %s idle got no answer in %s", secsText(s.At), j.Timeout)
			if s.Err != nil && !isTimeout(s.Err) && !errors.Is(s.Err, context.DeadlineExceeded) {
				why = fmt.Sprintf("the proof after %s idle failed (%s)", secsText(s.At), closeText(s.Err))
			}
		}
	}
	odd := ""
	for _, s := range conns {
		if s.Answered && (hi == 0 || s.At < hi) {
			lo = max(lo, s.At)
		}
		if s.Answered && hi > 0 && s.At > hi {
			odd = fmt.Sprintf(" (yet the proof after %s idle was answered: the path does not cut on idle time alone)", secsText(s.At))
		}
	}
	o.Held = lo
	o.Cutoff = [2]time.Duration{lo, hi}
	if hi == 0 {
		o.Observed = wire.State("held " + j.Hold.String())
		o.Detail = fmt.Sprintf("%s; %d connections held idle up to %s, every proof answered: no idle cut-off within the hold", o.Detail, n, secsText(lo))
		if !proved {
			o.Detail = fmt.Sprintf("%s; %d connections held idle up to %s with no close or reset seen (bare connections: nothing to send to prove more)", conns[0].open.Detail, n, secsText(lo))
			o.Unproven = quietHold
		}
		return o
	}
	o.OK, o.Cut, o.Code = false, true, wire.CodeCut
	o.Observed = wire.State(fmt.Sprintf("cut after %s-%s idle", roundDur(lo), roundDur(hi)))
	o.Detail = fmt.Sprintf("%s; idle cut-off between %s and %s (%s): the proof after %s idle was answered, %s%s; %s",
		o.Detail, secsText(lo), secsText(hi), idleCutText(lo, hi), secsText(lo), why, odd, HLBIdleGuidance)
	if lo == 0 {
		o.Detail = fmt.Sprintf("%s; idle cut-off below %s (%s): %s%s; %s", conns[0].open.Detail, secsText(hi), idleCutText(lo, hi), why, odd, HLBIdleGuidance)
	}
	return o
}
