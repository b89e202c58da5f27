package probe

import "context"

// checkTCP is a bare connect: open, refused or filtered.
func checkTCP(ctx context.Context, j *Job) Observation {
	c, o := dial(ctx, j)
	if c != nil {
		c.Close()
	}
	return o
}
