package listeners

import (
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// sipgo runs the handler of every request on a goroutine of its own, started with the smallest
// stack; answering and journaling go deeper than that, so each request's goroutine grew its
// stack (a copy of it, frame by frame) before it could answer: ~6% of the mock's CPU under SIP
// load. The answers run instead on a few long-lived goroutines whose stacks are grown already;
// sipgo's goroutine hands its request over and waits until it is answered (sipgo ends the
// transaction once the handler returns). When every worker is busy, the request is answered
// on sipgo's goroutine as before: never a queue.

// SIPWorkers is how many goroutines of a SIP listener answer requests.
const SIPWorkers = 32

type sipWorkers struct {
	jobs chan *sipJob
	stop chan struct{}
	wg   sync.WaitGroup
}

type sipJob struct {
	h    sipgo.RequestHandler
	req  *sip.Request
	tx   sip.ServerTransaction
	done chan struct{}
}

var sipJobPool = sync.Pool{New: func() any { return &sipJob{done: make(chan struct{}, 1)} }}

func newSIPWorkers(n int) *sipWorkers {
	w := &sipWorkers{jobs: make(chan *sipJob), stop: make(chan struct{})}
	w.wg.Add(n)
	for range n {
		go w.work()
	}
	return w
}

func (w *sipWorkers) work() {
	defer w.wg.Done()
	for {
		select {
		case j := <-w.jobs:
			j.h(j.req, j.tx)
			j.done <- struct{}{}
		case <-w.stop:
			return
		}
	}
}

// run answers with h on a worker when one is free, else on the calling goroutine; it returns
// once h has.
func (w *sipWorkers) run(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		j := sipJobPool.Get().(*sipJob)
		j.h, j.req, j.tx = h, req, tx
		select {
		case w.jobs <- j:
			<-j.done
		default:
			h(req, tx)
		}
		j.h, j.req, j.tx = nil, nil, nil
		sipJobPool.Put(j)
	}
}

// close stops the workers once the answers they are running are written.
func (w *sipWorkers) close() {
	close(w.stop)
	w.wg.Wait()
}
