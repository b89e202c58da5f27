package probe

import (
	"fmt"
	"time"

	"github.com/mockdirector/mockdirector/scenarios"
)

// idleCutText holds an idle cut-off (between lo and hi; lo zero: below hi) against the 1800 s
// the Lync HLB guidance asks for: "idle cut at 3.0 s, 1797 s short of the 1800 s ...".
func idleCutText(lo, hi time.Duration) string {
	at := secsText(hi)
	if lo > 0 && lo != hi {
		at = fmt.Sprintf("%s-%s", secsText(lo), secsText(hi))
	}
	if lo == 0 && hi > 0 {
		at = "below " + secsText(hi)
	}
	short := scenarios.DefaultHold - hi
	if short <= 0 {
		return fmt.Sprintf("idle cut at %s, no shorter than the %s the HLB guidance asks for", at, secsText(scenarios.DefaultHold))
	}
	return fmt.Sprintf("idle cut at %s, %s short of the %s the HLB guidance asks for", at, secsText(short), secsText(scenarios.DefaultHold))
}
