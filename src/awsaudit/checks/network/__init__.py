"""Network checks (NET-1..5, CIS 6.x): security groups, NACLs, routes and endpoints, instance metadata."""
