package server

import "github.com/mockdirector/mockdirector/journal"

// observed records to the journal first and shows the event to the observers only once the
// journal has it, so metrics and the live page never count an event the journal lost.
type observed struct {
	journal   journal.Recorder
	observers journal.Tee
}

// Record journals e, then hands it to every observer; observer errors do not fail the listener.
func (o observed) Record(e journal.Event) error {
	if err := o.journal.Record(e); err != nil {
		return err
	}
	_ = o.observers.Record(e)
	return nil
}
