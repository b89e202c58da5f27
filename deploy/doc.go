// Package fleet (deploy/) holds the Ansible playbook that places mockdirector on a staging network
// (deploy/ansible) and, in its tests, the proof: the playbook run over SSH against hosts made of
// network namespaces (make fleet-e2e).
package fleet
