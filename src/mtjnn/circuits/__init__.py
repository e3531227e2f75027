"""mtjnn.circuits"""
